import { beforeAll, expect, it } from 'vitest';
import { Conflict, changeStatus, InvalidTransition, type TicketServices } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import {
  as,
  eventsOf,
  newTicket,
  SECOND_TECHNICIAN,
  TECHNICIAN,
  ticketServices,
} from '../support/tickets.js';

const technicians = [TECHNICIAN, SECOND_TECHNICIAN];

describeEachDatabase('concurrent changes to one ticket', (suite) => {
  let services: TicketServices;
  beforeAll(async () => {
    services = await ticketServices(suite.db);
  });

  it('20 clicks on a card showing version 1: one applies, 19 get Conflict with the new state', async () => {
    const ticket = await newTicket(services);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        changeStatus(as(services, technicians[i % 2]!), {
          ticketId: ticket.id,
          status: i % 3 === 0 ? 'closed' : 'in_progress',
          expectedVersion: 1,
        }),
      ),
    );
    const applied = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(applied).toHaveLength(1);
    expect(refused).toHaveLength(19);
    const stored = await suite.db.models.Ticket.findByPk(ticket.id);
    for (const { reason } of refused) {
      expect(reason).toBeInstanceOf(Conflict);
      expect((reason as Conflict).ticket).toMatchObject({ version: 2, status: stored?.status });
    }
    expect(stored?.version).toBe(2);
    const events = await eventsOf(suite.db, ticket.id);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ type: 'status_changed', from: 'open', to: stored?.status, version: 2 });
  });

  it('20 status changes without versions leave one unbroken history', async () => {
    const ticket = await newTicket(services);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        changeStatus(as(services, technicians[i % 2]!), {
          ticketId: ticket.id,
          status: i % 2 === 0 ? 'in_progress' : 'open',
        }),
      ),
    );
    const applied = results.filter((r) => r.status === 'fulfilled').length;
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(InvalidTransition);
    }
    expect(applied).toBeGreaterThanOrEqual(1);

    const stored = await suite.db.models.Ticket.findByPk(ticket.id);
    const events = (await eventsOf(suite.db, ticket.id)).slice(1);
    // One event per applied change, versions without gaps, each change starting where the last ended.
    expect(events).toHaveLength(applied);
    expect(stored?.version).toBe(1 + applied);
    let status = 'open';
    events.forEach((event, index) => {
      expect(event.version).toBe(index + 2);
      expect(event.from).toBe(status);
      expect(event.to).not.toBe(status);
      status = event.to!;
    });
    expect(stored?.status).toBe(status);
  });
});
