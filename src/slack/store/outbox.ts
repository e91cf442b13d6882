import type { Transaction } from 'sequelize';
import type { Database } from '../../db/index.js';
import { sqlReadOnce, sqlWrite, sqlWriteOnce } from '../../db/sql.js';
import { toDate } from '../../db/values.js';

// What ticketbot owes Slack after a committed ticket change (slack_outbox,
// migrations/20261204020000-slack-outbox.ts): written in the change's transaction, carried out
// after it. Short statements through the driver: the insert is on the path Slack waits on.

/** Work owed to Slack, as a change writes it. */
export interface OwedWork {
  kind: string;
  payload: Record<string, unknown>;
}

/** Work owed, as a process claims it. */
export interface OutboxEntry {
  id: number;
  ticketId: number;
  kind: string;
  payload: Record<string, unknown>;
  createdAt: Date;
  /** Attempts that failed before this one. */
  attempts: number;
  /**
   * An earlier attempt may have reached Slack (it failed, or its process died holding it): what it
   * posts must be looked for before it is posted again.
   */
  unsure: boolean;
}

/** Writes the work a change owes Slack, in the change's transaction; due at once. */
export async function writeOwed(
  db: Database,
  transaction: Transaction,
  ticketId: number,
  owed: OwedWork[],
  now: Date,
): Promise<void> {
  for (const work of owed) {
    await sqlWrite(
      db,
      transaction,
      `INSERT INTO slack_outbox (ticket_id, kind, payload, created_at, claim_until, attempts)
       VALUES (?, ?, ?, ?, ?, 0)`,
      [ticketId, work.kind, JSON.stringify(work.payload), now, now],
    );
  }
}

/**
 * Claims up to `limit` due entries (of one ticket, or of any), oldest first, each ticket's in the
 * order they were written: an entry waits while an older one of its ticket is held elsewhere or
 * waits for its retry. Each UPDATE repeats the conditions, so of two processes reading the same
 * rows each keeps only those it updated itself; one that misses a ticket's entry leaves the
 * ticket's later ones alone.
 */
export async function claimDue(
  db: Database,
  claimedBy: string,
  until: Date,
  now: Date,
  limit: number,
  ticketId?: number,
): Promise<OutboxEntry[]> {
  const oneTicket = ticketId === undefined ? '' : ' AND c.ticket_id = ?';
  const waiting = await sqlReadOnce<{
    id: number;
    ticketId: number;
    kind: string;
    payload: string;
    createdAt: unknown;
    attempts: number;
    claimedBy: string | null;
  }>(
    db,
    `SELECT c.id AS id, c.ticket_id AS ticketId, c.kind AS kind, c.payload AS payload,
            c.created_at AS createdAt, c.attempts AS attempts, c.claimed_by AS claimedBy
     FROM slack_outbox c
     WHERE c.done_at IS NULL AND c.failed_reason IS NULL AND c.claim_until <= ?${oneTicket}
       AND NOT EXISTS (
         SELECT 1 FROM slack_outbox o
         WHERE o.ticket_id = c.ticket_id AND o.id < c.id
           AND o.done_at IS NULL AND o.failed_reason IS NULL AND o.claim_until > ?)
     ORDER BY c.id LIMIT ?`,
    ticketId === undefined ? [now, now, limit] : [now, ticketId, now, limit],
  );
  const claimed: OutboxEntry[] = [];
  const skipped = new Set<number>();
  for (const row of waiting) {
    const owner = Number(row.ticketId);
    if (skipped.has(owner)) continue;
    const result = await sqlWriteOnce(
      db,
      `UPDATE slack_outbox SET claimed_by = ?, claim_until = ?
       WHERE id = ? AND done_at IS NULL AND failed_reason IS NULL AND claim_until <= ?`,
      [claimedBy, until, Number(row.id), now],
    );
    if (result.affectedRows !== 1) {
      // Another process took it: that ticket's later entries are its to carry out after it.
      skipped.add(owner);
      continue;
    }
    const attempts = Number(row.attempts);
    claimed.push({
      id: Number(row.id),
      ticketId: owner,
      kind: row.kind,
      payload: JSON.parse(row.payload) as Record<string, unknown>,
      createdAt: toDate(row.createdAt),
      attempts,
      unsure: attempts > 0 || row.claimedBy !== null,
    });
  }
  return claimed;
}

/** Slack took it: done. */
export async function markDone(db: Database, id: number, now: Date): Promise<void> {
  await sqlWriteOnce(db, 'UPDATE slack_outbox SET done_at = ?, claimed_by = NULL WHERE id = ?', [now, id]);
}

/** Claimed but not attempted (the round stopped first): due again at once, as it was. */
export async function giveBack(db: Database, id: number, claimedBy: string, now: Date): Promise<void> {
  await sqlWriteOnce(
    db,
    `UPDATE slack_outbox SET claimed_by = NULL, claim_until = ?
     WHERE id = ? AND claimed_by = ? AND done_at IS NULL`,
    [now, id, claimedBy],
  );
}

/** The heartbeat: the entries `ids` that `claimedBy` still holds are held until `until`. */
export async function renewClaims(
  db: Database,
  claimedBy: string,
  until: Date,
  ids: number[],
): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await sqlWriteOnce(
    db,
    `UPDATE slack_outbox SET claim_until = ?
     WHERE claimed_by = ? AND done_at IS NULL AND failed_reason IS NULL
       AND id IN (${ids.map(() => '?').join(', ')})`,
    [until, claimedBy, ...ids],
  );
  return result.affectedRows;
}

/** How many entries are owed (not done, not given up). */
export async function countOwed(db: Database): Promise<number> {
  const [row] = await sqlReadOnce<{ n: number }>(
    db,
    'SELECT COUNT(*) AS n FROM slack_outbox WHERE done_at IS NULL AND failed_reason IS NULL',
    [],
  );
  return Number(row?.n ?? 0);
}
