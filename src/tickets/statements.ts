import type { Transaction } from 'sequelize';
import type { Database } from '../db/index.js';
import type { Ticket } from '../db/models/ticket.js';
import type { TicketEvent } from '../db/models/ticketEvent.js';
import type { User } from '../db/models/user.js';
import { fromRow, insertRow, type SqlValue, sqlRead, sqlReadOnce, sqlWriteOnce } from '../db/sql.js';
import { isSlackUserId } from '../slackIds.js';

// The hand-written statements on tickets, their events and users, run through the driver
// (src/db/sql.ts) for the paths Slack waits on: every rule's change, a ticket's creation, every
// card update and the emails a change writes. (Where a ticket is in Slack is Slack's own
// bookkeeping, in src/slack/store/.)

/**
 * The ticket `id`. Inside `locked`, its row is locked for the rest of that transaction on MySQL
 * (FOR UPDATE); SQLite's IMMEDIATE transaction holds the write lock already.
 */
export async function readTicket(db: Database, id: number, locked?: Transaction): Promise<Ticket | null> {
  const [row] = locked
    ? await sqlRead<Record<string, unknown>>(
        db,
        locked,
        `SELECT * FROM tickets WHERE id = ?${db.dialect === 'mysql' ? ' FOR UPDATE' : ''}`,
        [id],
      )
    : await sqlReadOnce<Record<string, unknown>>(db, 'SELECT * FROM tickets WHERE id = ?', [id]);
  return row ? fromRow(db.models.Ticket, row) : null;
}

/** The ticket's newest event. */
export async function latestEvent(db: Database, ticketId: number): Promise<TicketEvent | null> {
  const [row] = await sqlReadOnce<Record<string, unknown>>(
    db,
    'SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id DESC LIMIT 1',
    [ticketId],
  );
  return row ? fromRow(db.models.TicketEvent, row) : null;
}

/** The ticket stored from the submission `key`, if there is one (a submission is stored once). */
export async function ticketIdBySubmissionKey(db: Database, key: string): Promise<number | undefined> {
  const [row] = await sqlReadOnce<{ id: number }>(db, 'SELECT id FROM tickets WHERE submission_key = ?', [
    key,
  ]);
  return row ? Number(row.id) : undefined;
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

export function insertTicket(db: Database, transaction: Transaction, values: Record<string, SqlValue>) {
  return insertRow(db, transaction, db.models.Ticket, values);
}

export function insertEvent(
  db: Database,
  transaction: Transaction,
  values: Pick<
    TicketEvent,
    'ticketId' | 'actorId' | 'type' | 'fromValue' | 'toValue' | 'version' | 'createdAt'
  >,
): Promise<TicketEvent> {
  return insertRow(db, transaction, db.models.TicketEvent, values);
}

/** The user's row, if there is one. */
export async function readUser(
  db: Database,
  transaction: Transaction,
  id: string,
): Promise<User | undefined> {
  const [row] = await sqlRead<Record<string, unknown>>(db, transaction, 'SELECT * FROM users WHERE id = ?', [
    id,
  ]);
  return row ? fromRow(db.models.User, row) : undefined;
}

/** Whether the user has a row, without loading it. */
export async function hasUserRow(db: Database, transaction: Transaction, id: string): Promise<boolean> {
  return (await sqlRead(db, transaction, 'SELECT id FROM users WHERE id = ?', [id])).length > 0;
}

/** Whether the user is on the technician roster. */
export async function isOnRoster(db: Database, transaction: Transaction, id: string): Promise<boolean> {
  const [row] = await sqlRead<{ isTechnician: number | boolean }>(
    db,
    transaction,
    'SELECT is_technician AS isTechnician FROM users WHERE id = ?',
    [id],
  );
  return Boolean(row?.isTechnician);
}

/** The rows of the users among `ids` (what is not a Slack user id is passed over), in `transaction` if given. */
export async function usersById(
  db: Database,
  ids: Iterable<unknown>,
  transaction?: Transaction,
): Promise<Map<string, User>> {
  const unique = [...new Set([...ids].filter(isSlackUserId))];
  if (unique.length === 0) return new Map();
  const sql = `SELECT * FROM users WHERE id IN (${unique.map(() => '?').join(', ')})`;
  const rows = transaction
    ? await sqlRead<Record<string, unknown>>(db, transaction, sql, unique)
    : await sqlReadOnce<Record<string, unknown>>(db, sql, unique);
  const users = rows.map((row) => fromRow(db.models.User, row));
  return new Map(users.map((user) => [user.id, user]));
}

/** The ticket's version now (null: no such ticket): what a card showing it must not fall behind. */
export async function ticketVersion(db: Database, ticketId: number): Promise<number | null> {
  const [row] = await sqlReadOnce<{ version: number }>(db, 'SELECT version FROM tickets WHERE id = ?', [
    ticketId,
  ]);
  return row ? Number(row.version) : null;
}
