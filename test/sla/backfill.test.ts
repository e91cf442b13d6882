import { beforeAll, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/index.js';
import type { Ticket } from '../../src/db/models/ticket.js';
import {
  addComment,
  backfillSlaClocks,
  changeStatus,
  reopenTicket,
  runSlaAlerts,
  saveRequestType,
  slaAlertsOf,
  type TicketServices,
} from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import { captureLogs } from '../support/logs.js';
import { ROUND_THE_CLOCK, storedClocks } from '../support/sla.js';
import { ADMIN, as, eventsOf, newTicket, TECHNICIAN, ticketServices } from '../support/tickets.js';

// Tickets opened while SLA_ENABLED=false (the services without a policy) have no clocks; the
// backfill (src/tickets/slaBackfill.ts, the SLA job's first step) gives the open ones theirs, from
// their created_at. Business hours all week round the clock, so each target is plain wall-clock
// minutes from the ticket's opening: response 60 min (warned at 45), resolution 240 (at 180).
const policy = ROUND_THE_CLOCK;

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

describeEachDatabase('service-level clocks for tickets opened without them', (suite) => {
  let off: TicketServices;
  let on: TicketServices;
  beforeAll(async () => {
    off = { ...(await ticketServices(suite.db)), sla: undefined };
    on = { ...off, sla: policy };
  });

  const stored = (id: number) => suite.db.models.Ticket.findByPk(id, { rejectOnEmpty: true });
  /** `minutes` after the ticket was opened, as stored. */
  const after = (ticket: Ticket, minutes: number) => new Date(ticket.createdAt.getTime() + minutes * 60_000);

  async function clocksOf(id: number) {
    return { ...(await storedClocks(suite.db, id)), version: (await stored(id)).version };
  }

  /** A ticket opened with service levels off, read back as stored. */
  async function oldTicket(): Promise<Ticket> {
    const ticket = await newTicket(off);
    const row = await stored(ticket.id);
    expect(row.slaResolutionDueAt).toBeNull();
    return row;
  }

  /** The clocks of `ticket` opened with `policy`, nothing settled. */
  function running(ticket: Ticket) {
    return {
      firstResponseAt: null,
      responseDue: iso(after(ticket, 60)),
      responseWarn: iso(after(ticket, 45)),
      responseMet: null,
      responseMissed: null,
      resolutionDue: iso(after(ticket, 240)),
      resolutionWarn: iso(after(ticket, 180)),
      resolutionMet: null,
      resolutionMissed: null,
      resolutionStarted: iso(ticket.createdAt),
      usedSeconds: 0,
      version: ticket.version,
    };
  }

  const slaEvents = async (id: number) =>
    (await eventsOf(suite.db, id)).filter((event) => event.type.startsWith('sla_'));

  it('gives open tickets their clocks from created_at and leaves closed ones alone', async () => {
    const open = await oldTicket();
    const inProgress = await oldTicket();
    await changeStatus(as(off, TECHNICIAN), { ticketId: inProgress.id, status: 'in_progress' });
    const closed = await oldTicket();
    await changeStatus(as(off, TECHNICIAN), { ticketId: closed.id, status: 'closed' });
    const closedBefore = await clocksOf(closed.id);
    // With service levels off, nothing at all.
    expect(await backfillSlaClocks(off, after(open, 1))).toBe(0);
    expect((await stored(open.id)).slaResolutionDueAt).toBeNull();

    const logs = captureLogs();
    expect(await backfillSlaClocks({ ...on, logger: logs.logger }, after(open, 1))).toBe(2);
    expect(await clocksOf(open.id)).toEqual(running(open));
    // The technician's status change answered the ticket before the clocks: met at that moment.
    const answered = await stored(inProgress.id);
    expect(answered.firstResponseAt).not.toBeNull();
    expect(await clocksOf(inProgress.id)).toEqual({
      ...running(await stored(inProgress.id)),
      firstResponseAt: iso(answered.firstResponseAt),
      responseMet: iso(answered.firstResponseAt),
    });
    expect(await clocksOf(closed.id)).toEqual(closedBefore);
    expect((await stored(closed.id)).slaResolutionDueAt).toBeNull();
    // No history, no claims: nothing was due yet.
    for (const ticket of [open, inProgress, closed]) {
      expect(await slaEvents(ticket.id)).toEqual([]);
      expect(await slaAlertsOf(suite.db, ticket.id)).toEqual([]);
    }
    // Once done, nothing is left: the next run gives clocks to nobody, and says nothing.
    expect(await backfillSlaClocks({ ...on, logger: logs.logger }, after(open, 2))).toBe(0);
    // One line for the lot, none per ticket.
    expect(logs.entries).toEqual([
      expect.objectContaining({
        tickets: 2,
        failed: 0,
        msg: 'SLA clocks given to 2 open tickets without them',
      }),
    ]);
  });

  it('records targets already past as missed at their due time, claimed, and the SLA job says nothing of them', async () => {
    const late = await oldTicket();
    // The SLA job's run is what backfills: 5 h after the opening both targets are past.
    const raised = await runSlaAlerts(on, after(late, 300));
    expect(raised.map((change) => change.ticket.id)).not.toContain(late.id);
    expect(await clocksOf(late.id)).toEqual({
      ...running(late),
      responseMissed: iso(after(late, 60)),
      resolutionMissed: iso(after(late, 240)),
    });
    expect(await slaAlertsOf(suite.db, late.id)).toEqual([
      { target: 'response', kind: 'warning' },
      { target: 'response', kind: 'breach' },
      { target: 'resolution', kind: 'warning' },
      { target: 'resolution', kind: 'breach' },
    ]);
    // Later runs raise nothing for it either: no history event, no DM, thread reply or email.
    for (const minutes of [301, 400, 10_000]) {
      const again = await runSlaAlerts(on, after(late, minutes));
      expect(again.map((change) => change.ticket.id)).not.toContain(late.id);
    }
    expect(await slaEvents(late.id)).toEqual([]);
    expect(await slaAlertsOf(suite.db, late.id)).toHaveLength(4);
  });

  it('leaves a target not yet due to the SLA job, which warns and breaches it as usual', async () => {
    const ticket = await oldTicket();
    // 50 min in: the response is past its warning but not due, the resolution far from both.
    expect(await backfillSlaClocks(on, after(ticket, 50))).toBe(1);
    expect(await clocksOf(ticket.id)).toEqual(running(ticket));
    expect(await slaAlertsOf(suite.db, ticket.id)).toEqual([]);
    const warned = await runSlaAlerts(on, after(ticket, 50));
    expect(
      warned
        .filter((change) => change.ticket.id === ticket.id)
        .map((change) => [change.event.type, change.event.fromValue]),
    ).toEqual([['sla_warning', 'response']]);
    await runSlaAlerts(on, after(ticket, 61));
    await runSlaAlerts(on, after(ticket, 181));
    expect(await slaAlertsOf(suite.db, ticket.id)).toEqual([
      { target: 'response', kind: 'warning' },
      { target: 'response', kind: 'breach' },
      { target: 'resolution', kind: 'warning' },
    ]);
    expect((await slaEvents(ticket.id)).map((event) => [event.type, event.from])).toEqual([
      ['sla_warning', 'response'],
      ['sla_breached', 'response'],
      ['sla_warning', 'resolution'],
    ]);
    expect((await stored(ticket.id)).slaResponseMissedAt?.toISOString()).toBe(iso(after(ticket, 60)));
  });

  it('settles a first response given before the clocks: met in time, missed when late', async () => {
    const inTime = await oldTicket();
    await addComment(as(off, TECHNICIAN), { ticketId: inTime.id, body: 'On it' });
    const tooLate = await oldTicket();
    // Answered 90 min after the opening, after the 60 min target.
    await suite.db.models.Ticket.update(
      { firstResponseAt: after(tooLate, 90) },
      { where: { id: tooLate.id } },
    );

    expect(await backfillSlaClocks(on, after(tooLate, 100))).toBe(2);
    const answered = await stored(inTime.id);
    expect(await clocksOf(inTime.id)).toEqual({
      ...running(answered),
      firstResponseAt: iso(answered.firstResponseAt),
      responseMet: iso(answered.firstResponseAt),
    });
    expect(await clocksOf(tooLate.id)).toEqual({
      ...running(tooLate),
      firstResponseAt: iso(after(tooLate, 90)),
      responseMissed: iso(after(tooLate, 60)),
    });
    // The missed response is claimed; the running resolution is not.
    expect(await slaAlertsOf(suite.db, tooLate.id)).toEqual([
      { target: 'response', kind: 'warning' },
      { target: 'response', kind: 'breach' },
    ]);
    expect(await slaAlertsOf(suite.db, inTime.id)).toEqual([]);
    // The job then warns of the resolution only, for both.
    const raised = await runSlaAlerts(on, after(tooLate, 185));
    for (const ticket of [inTime, tooLate]) {
      expect(
        raised
          .filter((change) => change.ticket.id === ticket.id)
          .map((change) => [change.event.type, change.event.fromValue]),
      ).toEqual([['sla_warning', 'resolution']]);
    }
  });

  it('gives a ticket closed without clocks and reopened since its clocks', async () => {
    const ticket = await oldTicket();
    await changeStatus(as(off, TECHNICIAN), { ticketId: ticket.id, status: 'closed' });
    expect(await backfillSlaClocks(on, after(ticket, 1))).toBe(0);
    await reopenTicket(as(on, TECHNICIAN), { ticketId: ticket.id });
    const reopened = await stored(ticket.id);
    expect(reopened.slaResolutionDueAt).toBeNull();
    expect(await backfillSlaClocks(on, after(ticket, 2))).toBe(1);
    expect((await stored(ticket.id)).slaResolutionDueAt?.toISOString()).toBe(iso(after(ticket, 240)));
  });

  it("holds a ticket of a request type with its own target to the type's target", async () => {
    const outage = await saveRequestType(as(on, ADMIN), {
      name: 'Backfilled outage',
      slaTargets: { normal: '20m/2h' },
    });
    const typed = await newTicket(off, { requestTypeId: outage.id });
    const plain = await oldTicket();
    expect(await backfillSlaClocks(on, after(typed, 1))).toBe(2);
    const ticket = await stored(typed.id);
    expect(iso(ticket.slaResponseDueAt)).toBe(iso(after(ticket, 20)));
    expect(iso(ticket.slaResolutionDueAt)).toBe(iso(after(ticket, 120)));
    expect(iso((await stored(plain.id)).slaResolutionDueAt)).toBe(iso(after(plain, 240)));
  });

  it('writes each ticket and claim once when run twice, or by two replicas at once', async () => {
    const second: Database = createDatabase(suite.url);
    try {
      const other: TicketServices = { ...on, db: second };
      const tickets = await Promise.all([1, 2, 3, 4, 5, 6].map(() => oldTicket()));
      const first = tickets[0]!;
      // 5 h on, every target is past: each ticket gets four claims, from whichever replica.
      const at = after(first, 300);
      const counts = await Promise.all([
        backfillSlaClocks(on, at, { batch: 2 }),
        backfillSlaClocks(other, at, { batch: 1 }),
      ]);
      expect(counts[0] + counts[1]).toBe(tickets.length);
      const rows = await Promise.all(tickets.map((ticket) => clocksOf(ticket.id)));
      for (const [index, ticket] of tickets.entries()) {
        expect(rows[index]).toEqual({
          ...running(ticket),
          responseMissed: iso(after(ticket, 60)),
          resolutionMissed: iso(after(ticket, 240)),
        });
      }
      // Again, on both, and later: nothing more, the same rows.
      expect(
        await Promise.all([
          backfillSlaClocks(on, after(first, 400)),
          backfillSlaClocks(other, after(first, 400)),
        ]),
      ).toEqual([0, 0]);
      expect(await Promise.all(tickets.map((ticket) => clocksOf(ticket.id)))).toEqual(rows);
      const ids = tickets.map((ticket) => ticket.id);
      const [claims] = (await suite.db.sequelize.query(
        `SELECT ticket_id, target, kind, COUNT(*) AS n FROM sla_alerts
          WHERE ticket_id IN (${ids.map(() => '?').join(', ')})
          GROUP BY ticket_id, target, kind`,
        { replacements: ids },
      )) as [Array<{ n: number | string }>, unknown];
      expect(claims).toHaveLength(tickets.length * 4);
      expect(claims.every((claim) => Number(claim.n) === 1)).toBe(true);
      for (const ticket of tickets) expect(await slaEvents(ticket.id)).toEqual([]);
    } finally {
      await second.close();
    }
  });
});
