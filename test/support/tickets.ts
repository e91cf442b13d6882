import type { Database } from '../../src/db/index.js';
import { createLogger } from '../../src/logger.js';
import {
  asActor,
  createTicket,
  createTicketHooks,
  seedRoster,
  type TicketContext,
  type TicketServices,
} from '../../src/tickets/index.js';

export const REQUESTER = 'U0REQUEST1';
export const OTHER_USER = 'U0OTHER001';
export const TECHNICIAN = 'U0TECH0001';
export const SECOND_TECHNICIAN = 'U0TECH0002';
export const ADMIN = 'U0ADMIN001';

/** Ticket services on a test database, with the standard cast of people on the roster. */
export async function ticketServices(db: Database): Promise<TicketServices> {
  await seedRoster(db, { technicianIds: [TECHNICIAN, SECOND_TECHNICIAN], adminIds: [ADMIN] });
  return { db, hooks: createTicketHooks(), logger: createLogger('silent') };
}

export function as(services: TicketServices, actorId: string): TicketContext {
  return asActor(services, actorId);
}

export function newTicket(
  services: TicketServices,
  overrides: Partial<Parameters<typeof createTicket>[1]> = {},
) {
  return createTicket(as(services, REQUESTER), {
    title: 'Printer on 3rd floor jams',
    description: 'Every second page.',
    priority: 'normal',
    ...overrides,
  }).then((change) => change.ticket);
}

export async function eventsOf(db: Database, ticketId: number) {
  const events = await db.models.TicketEvent.findAll({ where: { ticketId }, order: [['id', 'ASC']] });
  return events.map((event) => ({
    type: event.type,
    actorId: event.actorId,
    from: event.fromValue,
    to: event.toValue,
    version: event.version,
  }));
}
