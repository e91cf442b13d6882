import { Op } from 'sequelize';
import type { Database } from '../db/index.js';
import type { Ticket } from '../db/models/ticket.js';
import type { TicketEvent } from '../db/models/ticketEvent.js';
import type { User } from '../db/models/user.js';
import { sqlReadOnce } from '../db/sql.js';
import { latestEvent, readTicket, usersById } from './statements.js';

export { ticketVersion } from './statements.js';

// Questions the Slack layer and others ask about tickets. No rules here: those live in the
// commands (createTicket, changeStatus…); these only fetch what a view needs. Where a ticket is
// in Slack is Slack's own bookkeeping (src/slack/store/).

/** Everything a ticket card shows: the ticket, the people on it, and the latest event. */
export interface TicketView {
  ticket: Ticket;
  requester: User | null;
  technician: User | null;
  latest: { event: TicketEvent; actor: User | null } | null;
  /** The ticket's request type, when it has one. */
  requestType?: { id: number; name: string } | null;
}

export async function loadTicketView(db: Database, ticketId: number): Promise<TicketView | null> {
  // Read for every card update: through the driver (statements.ts).
  const ticket = await readTicket(db, ticketId);
  if (!ticket) return null;
  const event = await latestEvent(db, ticketId);
  const people = await usersById(db, [
    ticket.requesterId,
    ticket.technicianId,
    event?.actorId,
    event?.toValue,
  ]);
  const [type] = ticket.requestTypeId
    ? await sqlReadOnce<{ id: number; name: string }>(db, 'SELECT id, name FROM request_types WHERE id = ?', [
        ticket.requestTypeId,
      ])
    : [];
  return {
    ticket,
    requester: people.get(ticket.requesterId) ?? null,
    technician: ticket.technicianId ? (people.get(ticket.technicianId) ?? null) : null,
    latest: event ? { event, actor: people.get(event.actorId) ?? null } : null,
    requestType: type ? { id: Number(type.id), name: type.name } : null,
  };
}

/** Whether the requester has rated the ticket's `resolution` (its prompt was answered). */
export async function isRated(db: Database, ticketId: number, resolution: number): Promise<boolean> {
  return (await ratingOf(db, ticketId, resolution)) !== null;
}

/** The requester's rating of the ticket's `resolution`, if they gave one. */
export function ratingOf(db: Database, ticketId: number, resolution: number) {
  return db.models.Rating.findOne({ where: { ticketId, resolution } });
}

export interface TicketList {
  tickets: Ticket[];
  total: number;
}

/** A requester's tickets that are not closed (open, in progress or resolved), most recently active first. */
export function unclosedTicketsRequestedBy(
  db: Database,
  requesterId: string,
  limit: number,
): Promise<TicketList> {
  return unclosedTickets(db, { requesterId }, limit);
}

/** A technician's tickets that are not closed, most recently active first. */
export function unclosedTicketsAssignedTo(
  db: Database,
  technicianId: string,
  limit: number,
): Promise<TicketList> {
  return unclosedTickets(db, { technicianId }, limit);
}

async function unclosedTickets(
  db: Database,
  person: { requesterId: string } | { technicianId: string },
  limit: number,
): Promise<TicketList> {
  const { rows, count } = await db.models.Ticket.findAndCountAll({
    where: { ...person, status: { [Op.ne]: 'closed' } },
    order: [
      ['lastActivityAt', 'DESC'],
      ['id', 'DESC'],
    ],
    limit,
  });
  return { tickets: rows, total: count };
}
