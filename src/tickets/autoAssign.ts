import type { Transaction } from 'sequelize';
import type { Database } from '../db/index.js';
import type { Ticket } from '../db/models/ticket.js';
import { type AutoAssignRule, autoAssignActor } from '../db/models/ticketEvent.js';
import { saveChanged, sqlRead, sqlWrite } from '../db/sql.js';
import type { TicketChange } from './context.js';
import { viewOfType } from './requestTypes.js';
import { insertEvent, usersById } from './statements.js';

// Auto-assignment (issue 14 §3): a ticket opened with a request type whose rule is round-robin or
// least open tickets, and no technician named, goes to one of the type's technicians who is still
// on the roster and not Away. The pick is made in the ticket's own transaction with the type's row
// locked, so the tickets of one type are assigned one after the other whichever replica stores
// them: two never read the same `last_assigned_id` (or the same counts) and both go to the same
// person by mistake. Nobody available: the ticket stays unassigned.

export interface TechnicianPick {
  technicianId: string;
  rule: AutoAssignRule;
}

/**
 * `ids` from the one after `lastId` round to `lastId` itself (the type's list order); the whole
 * list from its start when `lastId` is not in it (nobody picked yet, or they left the type).
 */
export function rotation(ids: readonly string[], lastId: string | null | undefined): string[] {
  const at = lastId ? ids.indexOf(lastId) : -1;
  return [...ids.slice(at + 1), ...ids.slice(0, at + 1)];
}

/**
 * Whom a new ticket of type `requestTypeId` goes to under its rule, and the rule; undefined when
 * its rule is 'none' or nobody is available. Locks the type's row until `transaction` ends
 * (SELECT … FOR UPDATE on MySQL/MariaDB; SQLite's IMMEDIATE transaction holds the write lock
 * already, and Sequelize leaves the clause out there) and moves `last_assigned_id` to the pick.
 *
 * - round_robin: the first available technician after `last_assigned_id` in the type's list.
 * - least_open: the available technician with the fewest open and in-progress tickets (of any
 *   type: their load), ties broken in the same round-robin order.
 *
 * The counts are read after the lock is taken: the transaction is READ COMMITTED on MySQL
 * (src/db/transaction.ts), so they include every ticket of this type assigned before it.
 */
export async function pickTechnician(
  db: Database,
  transaction: Transaction,
  requestTypeId: number,
): Promise<TechnicianPick | undefined> {
  const row = await db.models.RequestType.findByPk(requestTypeId, {
    transaction,
    lock: transaction.LOCK.UPDATE,
  });
  if (!row) return undefined;
  const type = viewOfType(row);
  if (type.assignment === 'none') return undefined;
  const rule = type.assignment;
  const people = await usersById(db, type.technicianIds, transaction);
  const candidates = rotation(type.technicianIds, row.lastAssignedId).filter((id) => {
    const user = people.get(id);
    // Removed from the roster since the type was saved, or Away: passed over.
    return Boolean(user?.isTechnician) && (user?.awaySince === null || user?.awaySince === undefined);
  });
  if (candidates.length === 0) return undefined;
  let technicianId = candidates[0]!;
  if (rule === 'least_open') {
    const counts = await openCounts(db, transaction, candidates);
    const fewest = Math.min(...candidates.map((id) => counts.get(id) ?? 0));
    technicianId = candidates.find((id) => (counts.get(id) ?? 0) === fewest)!;
  }
  await sqlWrite(db, transaction, 'UPDATE request_types SET last_assigned_id = ? WHERE id = ?', [
    technicianId,
    requestTypeId,
  ]);
  return { technicianId, rule };
}

/** How many open and in-progress tickets each of `ids` has. */
async function openCounts(
  db: Database,
  transaction: Transaction,
  ids: string[],
): Promise<Map<string, number>> {
  const rows = await sqlRead<{ technicianId: string; n: number | string }>(
    db,
    transaction,
    `SELECT technician_id AS technicianId, COUNT(*) AS n FROM tickets
     WHERE status IN ('open', 'in_progress') AND technician_id IN (${ids.map(() => '?').join(', ')})
     GROUP BY technician_id`,
    ids,
  );
  return new Map(rows.map((row) => [row.technicianId, Number(row.n)]));
}

/**
 * For createTicket, once the ticket and its `created` event are stored: assigns it under its
 * type's rule, as a second event (`assigned`, the ticket's version 2) whose actor is
 * `ticketbot:<rule>`. Returns that change (undefined: nobody picked), for the hooks to join like
 * any assignment (the technician's email and Slack DM).
 */
export async function autoAssignNewTicket(
  db: Database,
  transaction: Transaction,
  ticket: Ticket,
): Promise<TicketChange | undefined> {
  if (ticket.technicianId !== null || ticket.requestTypeId === null || ticket.requestTypeId === undefined)
    return undefined;
  const picked = await pickTechnician(db, transaction, ticket.requestTypeId);
  if (!picked) return undefined;
  const before = { status: ticket.status, technicianId: ticket.technicianId };
  ticket.technicianId = picked.technicianId;
  ticket.version += 1;
  await saveChanged(db, transaction, ticket);
  const event = await insertEvent(db, transaction, {
    ticketId: ticket.id,
    actorId: autoAssignActor(picked.rule),
    type: 'assigned',
    fromValue: null,
    toValue: picked.technicianId,
    version: ticket.version,
    createdAt: new Date(),
  });
  return { event, ticket, before };
}
