import { afterEach, beforeAll, expect, it, vi } from 'vitest';
import {
  addComment,
  changePriority,
  changeStatus,
  InvalidTransition,
  NotAllowed,
  reopenTicket,
  type TicketServices,
} from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import { OFFICE_HOURS, storedClocks } from '../support/sla.js';
import { as, eventsOf, newTicket, REQUESTER, TECHNICIAN, ticketServices } from '../support/tickets.js';

// A fixed clock (only Date is faked: the database drivers keep their timers). Business hours are
// Mon-Fri 09:00-17:00 UTC; 2026-12-03 is a Thursday.
const policy = OFFICE_HOURS;

function clockAt(iso: string) {
  vi.setSystemTime(new Date(iso));
}

const _iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

describeEachDatabase('service-level clocks on tickets', (suite) => {
  let services: TicketServices;
  beforeAll(async () => {
    services = { ...(await ticketServices(suite.db)), sla: policy };
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const clocksOf = (ticketId: number) => storedClocks(suite.db, ticketId);

  it('sets due and warning times in business hours when a ticket is opened', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    clockAt('2026-12-03T15:00:00Z'); // Thursday 15:00: 2 h of the day left
    const ticket = await newTicket(services, { priority: 'normal' });
    expect(await clocksOf(ticket.id)).toEqual({
      firstResponseAt: null,
      responseDue: '2026-12-03T17:00:00.000Z',
      responseWarn: '2026-12-03T16:30:00.000Z',
      responseMet: null,
      responseMissed: null,
      // 8 business hours: 2 on Thursday, 6 on Friday.
      resolutionDue: '2026-12-04T15:00:00.000Z',
      resolutionWarn: '2026-12-04T13:00:00.000Z',
      resolutionMet: null,
      resolutionMissed: null,
      resolutionStarted: '2026-12-03T15:00:00.000Z',
      usedSeconds: 0,
    });
  });

  it('counts a technician’s comment as the first response, not the requester’s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    clockAt('2026-12-03T10:00:00Z');
    const ticket = await newTicket(services, { priority: 'normal' });
    clockAt('2026-12-03T10:30:00Z');
    await addComment(as(services, REQUESTER), { ticketId: ticket.id, body: 'Any news?' });
    expect((await clocksOf(ticket.id)).firstResponseAt).toBeNull();
    clockAt('2026-12-03T11:00:00Z');
    await addComment(as(services, TECHNICIAN), { ticketId: ticket.id, body: 'Looking at it.' });
    expect(await clocksOf(ticket.id)).toMatchObject({
      firstResponseAt: '2026-12-03T11:00:00.000Z',
      responseDue: '2026-12-03T12:00:00.000Z',
      responseMet: '2026-12-03T11:00:00.000Z',
      responseMissed: null,
    });
    // A later answer changes nothing.
    clockAt('2026-12-03T11:30:00Z');
    await changeStatus(as(services, TECHNICIAN), { ticketId: ticket.id, status: 'in_progress' });
    expect((await clocksOf(ticket.id)).firstResponseAt).toBe('2026-12-03T11:00:00.000Z');
  });

  it('records a late first response as missed at its due time', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    clockAt('2026-12-03T10:00:00Z');
    const ticket = await newTicket(services, { priority: 'normal' });
    clockAt('2026-12-04T09:30:00Z'); // the next morning: 7.5 business hours later
    await changeStatus(as(services, TECHNICIAN), { ticketId: ticket.id, status: 'in_progress' });
    expect(await clocksOf(ticket.id)).toMatchObject({
      firstResponseAt: '2026-12-04T09:30:00.000Z',
      responseMet: null,
      responseMissed: '2026-12-03T12:00:00.000Z',
    });
  });

  it('does not count a technician answering a ticket they opened themselves', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    clockAt('2026-12-03T10:00:00Z');
    const ticket = await newTicket(services, { requesterId: TECHNICIAN });
    clockAt('2026-12-03T10:10:00Z');
    await addComment(as(services, TECHNICIAN), { ticketId: ticket.id, body: 'Note to self.' });
    expect((await clocksOf(ticket.id)).firstResponseAt).toBeNull();
  });

  it('stops the resolution clock at closing and restarts it from where it stood on reopening', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    clockAt('2026-12-03T10:00:00Z');
    const ticket = await newTicket(services, { priority: 'normal' }); // 8 h to resolve: Fri 10:00
    clockAt('2026-12-03T16:00:00Z');
    await changeStatus(as(services, TECHNICIAN), { ticketId: ticket.id, status: 'closed' });
    expect(await clocksOf(ticket.id)).toMatchObject({
      resolutionMet: '2026-12-03T16:00:00.000Z',
      resolutionMissed: null,
      resolutionStarted: null,
      usedSeconds: 6 * 3600,
      // Closing is a status change by a technician: it answered the ticket too (late: due 12:00).
      firstResponseAt: '2026-12-03T16:00:00.000Z',
      responseMissed: '2026-12-03T12:00:00.000Z',
    });
    // Reopened on Saturday: the clock waits for Monday 09:00, with 2 h left.
    clockAt('2026-12-05T11:00:00Z');
    await reopenTicket(as(services, REQUESTER), { ticketId: ticket.id });
    expect(await clocksOf(ticket.id)).toMatchObject({
      resolutionStarted: '2026-12-05T11:00:00.000Z',
      resolutionMet: null,
      resolutionDue: '2026-12-07T11:00:00.000Z',
      // 75 % of 8 h is 6 h, used already: the warning is due at once.
      resolutionWarn: '2026-12-05T11:00:00.000Z',
      usedSeconds: 6 * 3600,
    });
    // Closed again on Monday 12:00: 1 h over.
    clockAt('2026-12-07T12:00:00Z');
    await changeStatus(as(services, TECHNICIAN), { ticketId: ticket.id, status: 'closed' });
    expect(await clocksOf(ticket.id)).toMatchObject({
      resolutionMet: null,
      resolutionMissed: '2026-12-07T11:00:00.000Z',
      usedSeconds: 9 * 3600,
    });
    // Reopened once more: nothing is left, so it is due (and overdue) from the start.
    clockAt('2026-12-07T13:00:00Z');
    await reopenTicket(as(services, REQUESTER), { ticketId: ticket.id });
    expect(await clocksOf(ticket.id)).toMatchObject({
      resolutionDue: '2026-12-07T13:00:00.000Z',
      resolutionMissed: '2026-12-07T11:00:00.000Z',
    });
  });

  it('lets the requester close without that counting as a response', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    clockAt('2026-12-03T10:00:00Z');
    const ticket = await newTicket(services);
    clockAt('2026-12-03T10:20:00Z');
    await changeStatus(as(services, REQUESTER), { ticketId: ticket.id, status: 'closed' });
    expect(await clocksOf(ticket.id)).toMatchObject({
      firstResponseAt: null,
      responseMet: null,
      resolutionMet: '2026-12-03T10:20:00.000Z',
    });
  });

  it('derives the due times again when the priority changes, and records it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    clockAt('2026-12-03T10:00:00Z');
    const ticket = await newTicket(services, { priority: 'normal' });
    clockAt('2026-12-03T10:30:00Z');
    await changePriority(as(services, TECHNICIAN), { ticketId: ticket.id, priority: 'urgent' });
    expect(await clocksOf(ticket.id)).toMatchObject({
      responseDue: '2026-12-03T11:00:00.000Z',
      responseWarn: '2026-12-03T10:45:00.000Z',
      resolutionDue: '2026-12-03T12:00:00.000Z',
      resolutionWarn: '2026-12-03T11:30:00.000Z',
    });
    expect((await eventsOf(suite.db, ticket.id)).at(-1)).toMatchObject({
      type: 'priority_changed',
      from: 'normal',
      to: 'urgent',
    });
    // Back to low once the urgent response time has passed: the longer target is in time again.
    clockAt('2026-12-03T11:30:00Z');
    await changePriority(as(services, TECHNICIAN), { ticketId: ticket.id, priority: 'low' });
    expect(await clocksOf(ticket.id)).toMatchObject({
      responseDue: '2026-12-04T10:00:00.000Z',
      responseMissed: null,
      resolutionDue: '2026-12-10T10:00:00.000Z',
    });
    await expect(
      changePriority(as(services, REQUESTER), { ticketId: ticket.id, priority: 'urgent' }),
    ).rejects.toBeInstanceOf(NotAllowed);
    await expect(
      changePriority(as(services, TECHNICIAN), { ticketId: ticket.id, priority: 'low' }),
    ).rejects.toBeInstanceOf(InvalidTransition);
  });

  it('keeps no clocks when service levels are off, only the first answer’s moment (for the reports)', async () => {
    const ticket = await newTicket({ ...services, sla: undefined });
    await addComment(as({ ...services, sla: undefined }, TECHNICIAN), { ticketId: ticket.id, body: 'Hi' });
    const clocks = await clocksOf(ticket.id);
    expect(clocks.firstResponseAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(clocks).toMatchObject({
      responseDue: null,
      resolutionDue: null,
      resolutionStarted: null,
    });
  });
});
