import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { targetFor } from '../../src/sla/policy.js';
import { parseTarget, writeTarget } from '../../src/sla/settings.js';
import {
  changePriority,
  changeRequestType,
  changeStatus,
  type RequestTypeView,
  reopenTicket,
  saveRequestType,
  type TicketServices,
  ValidationFailed,
} from '../../src/tickets/index.js';
import { checkTypeTargets } from '../../src/tickets/requestTypes.js';
import { newTicketClocks, typeTargetsOf } from '../../src/tickets/sla.js';
import { describeEachDatabase } from '../support/db.js';
import { OFFICE_HOURS } from '../support/sla.js';
import { ADMIN, as, eventsOf, newTicket, TECHNICIAN, ticketServices } from '../support/tickets.js';

// Per request type service-level targets (issue 15 §1): a type may set its own target for some
// priorities; its tickets are held to it, the others to the priority's, at creation, on a
// priority change, a type change and a reopen. Business hours Mon-Fri 09:00-17:00 UTC;
// 2026-12-03 is a Thursday. Only Date is faked (the database drivers keep their timers).

const policy = OFFICE_HOURS;

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

describe('per request type targets, pure', () => {
  const opened = new Date('2026-12-03T10:00:00Z');
  const outage = { normal: '20m/2h', urgent: '40m/1h' };

  it('takes the type’s own target for the priorities it sets one for, the priority’s for the others', () => {
    expect(targetFor(policy, 'normal', outage)).toEqual({ responseMinutes: 20, resolutionMinutes: 120 });
    expect(targetFor(policy, 'high', outage)).toEqual(policy.targets.high);
    expect(targetFor(policy, 'normal', {})).toEqual(policy.targets.normal);
    expect(targetFor(policy, 'normal')).toEqual(policy.targets.normal);
    // "d" is one business day of the calendar (8 h here).
    expect(targetFor(policy, 'low', { low: '1d/2d4h' })).toEqual({
      responseMinutes: 480,
      resolutionMinutes: 1200,
    });
  });

  it('opens a ticket of an overriding type with its due times, another with the priority’s', () => {
    const overriding = newTicketClocks(policy, 'normal', opened, outage);
    const plain = newTicketClocks(policy, 'normal', opened, {});
    expect({
      responseDue: iso(overriding.slaResponseDueAt),
      responseWarn: iso(overriding.slaResponseWarnAt),
      resolutionDue: iso(overriding.slaResolutionDueAt),
      resolutionWarn: iso(overriding.slaResolutionWarnAt),
    }).toEqual({
      responseDue: '2026-12-03T10:20:00.000Z',
      responseWarn: '2026-12-03T10:15:00.000Z',
      resolutionDue: '2026-12-03T12:00:00.000Z',
      resolutionWarn: '2026-12-03T11:30:00.000Z',
    });
    expect({
      responseDue: iso(plain.slaResponseDueAt),
      resolutionDue: iso(plain.slaResolutionDueAt),
    }).toEqual({
      responseDue: '2026-12-03T12:00:00.000Z',
      // 8 business hours: 7 on Thursday, 1 on Friday.
      resolutionDue: '2026-12-04T10:00:00.000Z',
    });
    // A type's target that no longer reads (shorter working hours under "7h/1d") is the priority's.
    expect(
      targetFor({ ...policy, calendar: { ...policy.calendar, endMinute: 15 * 60 } }, 'high', {
        high: '7h/1d',
      }),
    ).toEqual(policy.targets.high);
  });

  it('checks written targets with the settings’ parser, tidied, and says which is wrong and why', () => {
    expect(
      checkTypeTargets({ urgent: ' 30M / 2h ', high: '', normal: undefined, low: '2d/5d' }, 480),
    ).toEqual({
      urgent: '30m/2h',
      low: '2d/5d',
    });
    let refused: unknown;
    try {
      checkTypeTargets({ urgent: 'soon', high: '4h/1h', normal: '1h/4h' }, 480);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ValidationFailed);
    expect((refused as ValidationFailed).issues.map((issue) => issue.path)).toEqual([
      ['slaTargets', 'high', 'order'],
      ['slaTargets', 'urgent', 'format'],
    ]);
  });

  it('reads stored targets back, leaving out what is not a written target', () => {
    expect(typeTargetsOf('{"urgent":"30m/2h","high":"<!here>","low":7,"other":"1h/2h"}')).toEqual({
      urgent: '30m/2h',
    });
    expect(typeTargetsOf(null)).toEqual({});
    expect(typeTargetsOf('not json')).toEqual({});
  });

  it('writes a target back as the settings are written', () => {
    for (const written of ['1h/4h', '4h/1d', '1d/3d', '2d/5d', '30m/1d4h30m']) {
      expect(writeTarget(parseTarget(written, 480), 480)).toBe(written);
    }
  });
});

describeEachDatabase('per request type targets on tickets', (suite) => {
  let services: TicketServices;
  let outage: RequestTypeView;
  let hardware: RequestTypeView;
  beforeAll(async () => {
    services = { ...(await ticketServices(suite.db)), sla: policy };
    outage = await saveRequestType(as(services, ADMIN), {
      name: 'Outage',
      slaTargets: { normal: '20m/2h', urgent: ' 40m/1H ', high: '' },
    });
    hardware = await saveRequestType(as(services, ADMIN), { name: 'Hardware' });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const clockAt = (at: string) => vi.setSystemTime(new Date(at));

  async function clocksOf(ticketId: number) {
    const ticket = await suite.db.models.Ticket.findByPk(ticketId, { rejectOnEmpty: true });
    return {
      responseDue: iso(ticket.slaResponseDueAt),
      responseWarn: iso(ticket.slaResponseWarnAt),
      resolutionDue: iso(ticket.slaResolutionDueAt),
      resolutionWarn: iso(ticket.slaResolutionWarnAt),
    };
  }

  it('stores a type’s own targets tidied, and refuses one that does not read', async () => {
    expect(outage.slaTargets).toEqual({ normal: '20m/2h', urgent: '40m/1h' });
    expect(hardware.slaTargets).toEqual({});
    const row = await suite.db.models.RequestType.findByPk(outage.id, { rejectOnEmpty: true });
    expect(JSON.parse(row.slaTargets ?? 'null')).toEqual({ normal: '20m/2h', urgent: '40m/1h' });
    expect(
      (await suite.db.models.RequestType.findByPk(hardware.id, { rejectOnEmpty: true })).slaTargets,
    ).toBeNull();
    const refused = await saveRequestType(as(services, ADMIN), {
      id: hardware.id,
      name: 'Hardware',
      slaTargets: { low: '5d/2d' },
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationFailed);
    expect((refused as ValidationFailed).issues[0]?.path).toEqual(['slaTargets', 'low', 'order']);
    expect(
      (await suite.db.models.RequestType.findByPk(hardware.id, { rejectOnEmpty: true })).slaTargets,
    ).toBeNull();
  });

  it('opens a ticket of an overriding type with its target, one of another type with the priority’s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    clockAt('2026-12-03T10:00:00Z');
    const fast = await newTicket(services, { priority: 'normal', requestTypeId: outage.id });
    const usual = await newTicket(services, { priority: 'normal', requestTypeId: hardware.id });
    const untyped = await newTicket(services, { priority: 'normal' });
    // A priority the type sets nothing for: the priority's.
    const high = await newTicket(services, { priority: 'high', requestTypeId: outage.id });
    expect(await clocksOf(fast.id)).toEqual({
      responseDue: '2026-12-03T10:20:00.000Z',
      responseWarn: '2026-12-03T10:15:00.000Z',
      resolutionDue: '2026-12-03T12:00:00.000Z',
      resolutionWarn: '2026-12-03T11:30:00.000Z',
    });
    const normal = {
      responseDue: '2026-12-03T12:00:00.000Z',
      responseWarn: '2026-12-03T11:30:00.000Z',
      resolutionDue: '2026-12-04T10:00:00.000Z',
      resolutionWarn: '2026-12-03T16:00:00.000Z',
    };
    expect(await clocksOf(usual.id)).toEqual(normal);
    expect(await clocksOf(untyped.id)).toEqual(normal);
    expect(await clocksOf(high.id)).toMatchObject({
      responseDue: '2026-12-03T12:00:00.000Z',
      resolutionDue: '2026-12-03T14:00:00.000Z',
    });
  });

  it('derives the due times again for the type’s target when the priority changes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    clockAt('2026-12-03T10:00:00Z');
    const ticket = await newTicket(services, { priority: 'normal', requestTypeId: outage.id });
    clockAt('2026-12-03T10:05:00Z');
    await changePriority(as(services, TECHNICIAN), { ticketId: ticket.id, priority: 'urgent' });
    expect(await clocksOf(ticket.id)).toEqual({
      responseDue: '2026-12-03T10:40:00.000Z',
      responseWarn: '2026-12-03T10:30:00.000Z',
      resolutionDue: '2026-12-03T11:00:00.000Z',
      resolutionWarn: '2026-12-03T10:45:00.000Z',
    });
    // High: the type sets nothing for it, the priority's target.
    await changePriority(as(services, TECHNICIAN), { ticketId: ticket.id, priority: 'high' });
    expect(await clocksOf(ticket.id)).toMatchObject({
      responseDue: '2026-12-03T12:00:00.000Z',
      resolutionDue: '2026-12-03T14:00:00.000Z',
    });
  });

  it('derives the due times again when the type changes, to and from an overriding type', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    clockAt('2026-12-03T10:00:00Z');
    const ticket = await newTicket(services, { priority: 'normal', requestTypeId: hardware.id });
    clockAt('2026-12-03T10:05:00Z');
    const changed = await changeRequestType(as(services, TECHNICIAN), {
      ticketId: ticket.id,
      requestTypeId: outage.id,
    });
    expect(changed.ticket.requestTypeId).toBe(outage.id);
    expect(await clocksOf(ticket.id)).toEqual({
      responseDue: '2026-12-03T10:20:00.000Z',
      responseWarn: '2026-12-03T10:15:00.000Z',
      resolutionDue: '2026-12-03T12:00:00.000Z',
      resolutionWarn: '2026-12-03T11:30:00.000Z',
    });
    expect((await eventsOf(suite.db, ticket.id)).at(-1)).toMatchObject({
      type: 'type_changed',
      from: 'Hardware',
      to: 'Outage',
    });
    clockAt('2026-12-03T10:30:00Z');
    await changeRequestType(as(services, TECHNICIAN), { ticketId: ticket.id, requestTypeId: hardware.id });
    expect(await clocksOf(ticket.id)).toEqual({
      responseDue: '2026-12-03T12:00:00.000Z',
      responseWarn: '2026-12-03T11:30:00.000Z',
      resolutionDue: '2026-12-04T10:00:00.000Z',
      resolutionWarn: '2026-12-03T16:00:00.000Z',
    });
  });

  it('restarts the resolution clock on reopening with what the type’s target leaves', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    clockAt('2026-12-03T10:00:00Z');
    const ticket = await newTicket(services, { priority: 'normal', requestTypeId: outage.id });
    clockAt('2026-12-03T10:30:00Z');
    await changeStatus(as(services, TECHNICIAN), { ticketId: ticket.id, status: 'closed' });
    clockAt('2026-12-03T11:00:00Z');
    await reopenTicket(as(services, TECHNICIAN), { ticketId: ticket.id });
    // 2 h, 30 min used: 1 h 30 min from 11:00; the warning at 1 h 30 min of 2 h, 1 h from 11:00.
    expect(await clocksOf(ticket.id)).toMatchObject({
      resolutionDue: '2026-12-03T12:30:00.000Z',
      resolutionWarn: '2026-12-03T12:00:00.000Z',
    });
  });
});
