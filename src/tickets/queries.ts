import { Op } from 'sequelize';
import type { Database } from '../db/index.js';
import type { Ticket } from '../db/models/ticket.js';
import type { TicketEvent } from '../db/models/ticketEvent.js';
import type { User } from '../db/models/user.js';
import { fromRow, sqlReadOnce, sqlWriteOnce } from '../db/sql.js';

// Questions the Slack layer and others ask about tickets. No rules here: those live in the
// commands (createTicket, changeStatus…); these only fetch what a view needs. Where a ticket is
// in Slack is Slack's own bookkeeping (src/slack/store/).

/** Everything a ticket card shows: the ticket, the people on it, and the latest event. */
export interface TicketView {
  ticket: Ticket;
  requester: User | null;
  technician: User | null;
  latest: { event: TicketEvent; actor: User | null } | null;
}

export async function loadTicketView(db: Database, ticketId: number): Promise<TicketView | null> {
  // Read for every card update: through the driver (src/db/sql.ts).
  const [row] = await sqlReadOnce<Record<string, unknown>>(db, 'SELECT * FROM tickets WHERE id = ?', [
    ticketId,
  ]);
  if (!row) return null;
  const ticket = fromRow(db.models.Ticket, row);
  const [eventRow] = await sqlReadOnce<Record<string, unknown>>(
    db,
    'SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id DESC LIMIT 1',
    [ticketId],
  );
  const event = eventRow ? fromRow(db.models.TicketEvent, eventRow) : undefined;
  const people = await usersById(db, [
    ticket.requesterId,
    ticket.technicianId,
    event?.actorId,
    event?.toValue,
  ]);
  return {
    ticket,
    requester: people.get(ticket.requesterId) ?? null,
    technician: ticket.technicianId ? (people.get(ticket.technicianId) ?? null) : null,
    latest: event ? { event, actor: people.get(event.actorId) ?? null } : null,
  };
}

export async function usersById(
  db: Database,
  ids: Array<string | null | undefined>,
): Promise<Map<string, User>> {
  const unique = [...new Set(ids.filter((id): id is string => Boolean(id) && /^[UW][A-Z0-9]+$/.test(id!)))];
  if (unique.length === 0) return new Map();
  const rows = await sqlReadOnce<Record<string, unknown>>(
    db,
    `SELECT * FROM users WHERE id IN (${unique.map(() => '?').join(', ')})`,
    unique,
  );
  const users = rows.map((row) => fromRow(db.models.User, row));
  return new Map(users.map((user) => [user.id, user]));
}

/** Remembers the link to the Slack message a ticket was made from, once it is known. */
export async function recordSourcePermalink(
  db: Database,
  ticketId: number,
  permalink: string,
): Promise<void> {
  await sqlWriteOnce(
    db,
    'UPDATE tickets SET source_permalink = ? WHERE id = ? AND source_permalink IS NULL',
    [permalink, ticketId],
  );
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

/** A requester's tickets that are not closed, most recently active first. */
export async function openTicketsOf(db: Database, requesterId: string, limit: number): Promise<TicketList> {
  const { rows, count } = await db.models.Ticket.findAndCountAll({
    where: { requesterId, status: { [Op.ne]: 'closed' } },
    order: [
      ['lastActivityAt', 'DESC'],
      ['id', 'DESC'],
    ],
    limit,
  });
  return { tickets: rows, total: count };
}

/** A technician's tickets that are not closed, most recently active first. */
export async function ticketsAssignedTo(
  db: Database,
  technicianId: string,
  limit: number,
): Promise<TicketList> {
  const { rows, count } = await db.models.Ticket.findAndCountAll({
    where: { technicianId, status: { [Op.ne]: 'closed' } },
    order: [
      ['lastActivityAt', 'DESC'],
      ['id', 'DESC'],
    ],
    limit,
  });
  return { tickets: rows, total: count };
}
