import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/index.js';
import {
  addComment,
  changeStatus,
  runSlaAlerts,
  SLA_ACTOR,
  slaAlertsOf,
  type TicketServices,
} from '../../src/tickets/index.js';
import { dueSlaAlerts } from '../../src/tickets/slaAlerts.js';
import { describeEachDatabase } from '../support/db.js';
import { ROUND_THE_CLOCK } from '../support/sla.js';
import { as, eventsOf, newTicket, TECHNICIAN, ticketServices } from '../support/tickets.js';

// The SLA job's claims: each warning and breach once per ticket and target, never for a target
// met or a ticket closed, recorded in the history. Business hours all week round the clock, so
// the targets are plain wall-clock minutes from the moment each ticket is opened.
const policy = ROUND_THE_CLOCK;
const minutesLater = (minutes: number) => new Date(Date.now() + minutes * 60_000);

describeEachDatabase('service-level warnings and breaches', (suite) => {
  let services: TicketServices;
  beforeAll(async () => {
    services = { ...(await ticketServices(suite.db)), sla: policy };
  });

  it('warns at 75 % and records the breach once, in the history', async () => {
    const ticket = await newTicket(services);
    expect(await runSlaAlerts(services, minutesLater(30))).toEqual([]);
    const warned = await runSlaAlerts(services, minutesLater(50));
    expect(warned.map((c) => [c.ticket.id, c.event.type, c.event.fromValue])).toContainEqual([
      ticket.id,
      'sla_warning',
      'response',
    ]);
    // Again, and later still: no second warning; at the due time, the breach.
    await runSlaAlerts(services, minutesLater(55));
    await runSlaAlerts(services, minutesLater(65));
    await runSlaAlerts(services, minutesLater(70));
    expect(await slaAlertsOf(suite.db, ticket.id)).toEqual([
      { target: 'response', kind: 'warning' },
      { target: 'response', kind: 'breach' },
    ]);
    const events = (await eventsOf(suite.db, ticket.id)).filter((e) => e.type.startsWith('sla_'));
    expect(events).toEqual([
      expect.objectContaining({ type: 'sla_warning', actorId: SLA_ACTOR, from: 'response' }),
      expect.objectContaining({ type: 'sla_breached', actorId: SLA_ACTOR, from: 'response' }),
    ]);
    const stored = await suite.db.models.Ticket.findByPk(ticket.id, { rejectOnEmpty: true });
    expect(stored.slaResponseMissedAt?.getTime()).toBe(stored.slaResponseDueAt?.getTime());
  });

  it('says nothing of a target met or a ticket closed', async () => {
    const answered = await newTicket(services);
    await addComment(as(services, TECHNICIAN), { ticketId: answered.id, body: 'On it' });
    const closed = await newTicket(services);
    await changeStatus(as(services, TECHNICIAN), { ticketId: closed.id, status: 'closed' });
    await runSlaAlerts(services, minutesLater(50));
    await runSlaAlerts(services, minutesLater(300));
    expect(await slaAlertsOf(suite.db, closed.id)).toEqual([]);
    // The answered ticket's resolution clock still runs: its warning and breach, not the response's.
    expect(await slaAlertsOf(suite.db, answered.id)).toEqual([{ target: 'resolution', kind: 'breach' }]);
  });

  it('raises each alert once when two schedulers on their own connections run at the same time', async () => {
    const second: Database = createDatabase(suite.url);
    try {
      const other: TicketServices = { ...services, db: second };
      const tickets = await Promise.all([1, 2, 3, 4, 5].map(() => newTicket(services)));
      for (const minutes of [46, 47, 61, 62, 181, 241, 242]) {
        const at = minutesLater(minutes);
        await Promise.all([runSlaAlerts(services, at), runSlaAlerts(other, at)]);
      }
      for (const ticket of tickets) {
        expect(await slaAlertsOf(suite.db, ticket.id)).toEqual([
          { target: 'response', kind: 'warning' },
          { target: 'response', kind: 'breach' },
          { target: 'resolution', kind: 'warning' },
          { target: 'resolution', kind: 'breach' },
        ]);
        const events = (await eventsOf(suite.db, ticket.id)).filter((e) => e.type.startsWith('sla_'));
        expect(events).toHaveLength(4);
      }
    } finally {
      await second.close();
    }
  });

  it('finds a new warning however many warned tickets wait for their due time (batch of 1)', async () => {
    const waiting = await Promise.all([1, 2].map(() => newTicket(services)));
    // Everything due at +50 min is raised: the two above are warned and now wait for their breach.
    await runSlaAlerts(services, minutesLater(50));
    for (const ticket of waiting) {
      expect(await slaAlertsOf(suite.db, ticket.id)).toEqual([{ target: 'response', kind: 'warning' }]);
    }
    const late = await newTicket(services);
    // A batch of one still finds the newest ticket's warning: the warned ones take no place in it.
    expect(await dueSlaAlerts(suite.db, minutesLater(50), { batch: 1 })).toEqual([
      { ticketId: late.id, target: 'response', kind: 'warning' },
    ]);
    // A run of batches of one raises the rest, each once.
    const fresh = await Promise.all([1, 2, 3].map(() => newTicket(services)));
    const raised = await runSlaAlerts(services, minutesLater(50), { batch: 1 });
    expect(raised.map((change) => change.ticket.id).sort((a, b) => a - b)).toEqual(
      [late, ...fresh].map((ticket) => ticket.id).sort((a, b) => a - b),
    );
    expect(await dueSlaAlerts(suite.db, minutesLater(50), { batch: 1 })).toEqual([]);
    // At the due time the breaches come first for the waiting ones, the warning never again.
    await runSlaAlerts(services, minutesLater(65), { batch: 1 });
    for (const ticket of [...waiting, late, ...fresh]) {
      expect(await slaAlertsOf(suite.db, ticket.id)).toEqual([
        { target: 'response', kind: 'warning' },
        { target: 'response', kind: 'breach' },
      ]);
    }
  });

  afterAll(() => undefined);
});
