import type { Transaction } from 'sequelize';
import type { Database } from '../../db/index.js';
import { sqlReadOnce, sqlWrite, sqlWriteOnce } from '../../db/sql.js';

// The clicks and events acknowledged to Slack, each written before its ack and applied from here
// (slack_inbox, migrations/20261203050000-slack-inbox.ts). Every statement is one short
// statement through the driver: the insert is on the path Slack waits on.

/** A request waiting to be applied, as the catch-up claims it. */
export interface InboxEntry {
  id: number;
  kind: string;
  payload: unknown;
  attempts: number;
}

/**
 * Records a delivery, held by `claimedBy` until `claimUntil`. Null: Slack's id for it is already
 * recorded (the same request delivered again), and it is applied or being applied elsewhere.
 */
export async function recordDelivery(
  db: Database,
  entry: {
    key: string;
    kind: string;
    /** What it must be applied in order with (`ticket:<id>`). */
    orderKey: string;
    payload: unknown;
    claimedBy: string;
    claimUntil: Date;
    now: Date;
  },
): Promise<number | null> {
  const ignore = db.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
  const result = await sqlWriteOnce(
    db,
    `${ignore} INTO slack_inbox
       (delivery_key, kind, order_key, payload, received_at, claimed_by, claim_until, attempts)
     VALUES (?, ?, ?, ?, ?, ?, ?, 0)`,
    [
      entry.key,
      entry.kind,
      entry.orderKey,
      JSON.stringify(entry.payload),
      entry.now,
      entry.claimedBy,
      entry.claimUntil,
    ],
  );
  return result.affectedRows === 1 ? Number(result.insertId) : null;
}

/**
 * Marks the entry applied, inside `transaction` when given (the ticket change it made commits with
 * it, or neither). False: it was applied already, by this process or another.
 */
export async function markApplied(
  db: Database,
  id: number,
  now: Date,
  transaction?: Transaction,
): Promise<boolean> {
  const sql = 'UPDATE slack_inbox SET applied_at = ?, claim_until = NULL WHERE id = ? AND applied_at IS NULL';
  const values = [now, id];
  const result = transaction
    ? await sqlWrite(db, transaction, sql, values)
    : await sqlWriteOnce(db, sql, values);
  return result.affectedRows === 1;
}

/** The heartbeat: every entry `claimedBy` still holds is held until `until`. */
export async function renewClaims(db: Database, claimedBy: string, until: Date): Promise<number> {
  const result = await sqlWriteOnce(
    db,
    `UPDATE slack_inbox SET claim_until = ?
     WHERE claimed_by = ? AND applied_at IS NULL AND failed_reason IS NULL`,
    [until, claimedBy],
  );
  return result.affectedRows;
}

/**
 * Claims up to `limit` entries nobody holds any more (their process stopped renewing its claims,
 * or an attempt failed and its retry is due), oldest first, one ticket's in the order they
 * arrived: an entry waits while an older one for its ticket is held elsewhere or waits for its
 * retry. Each UPDATE repeats the conditions, so of two processes reading the same rows each keeps
 * only those it updated itself, and one that misses a ticket's oldest entry leaves the ticket's
 * later ones alone.
 */
export async function claimWaiting(
  db: Database,
  claimedBy: string,
  until: Date,
  now: Date,
  limit: number,
): Promise<InboxEntry[]> {
  const waiting = await sqlReadOnce<{ id: number; orderKey: string | null }>(
    db,
    `SELECT c.id AS id, c.order_key AS orderKey FROM slack_inbox c
     WHERE c.applied_at IS NULL AND c.failed_reason IS NULL AND c.claim_until < ?
       AND NOT EXISTS (
         SELECT 1 FROM slack_inbox o
         WHERE o.order_key = c.order_key AND o.id < c.id
           AND o.applied_at IS NULL AND o.failed_reason IS NULL AND o.claim_until >= ?)
     ORDER BY c.id LIMIT ?`,
    [now, now, limit],
  );
  const claimed: InboxEntry[] = [];
  const skipped = new Set<string>();
  for (const { id, orderKey } of waiting) {
    if (orderKey !== null && skipped.has(orderKey)) continue;
    const result = await sqlWriteOnce(
      db,
      `UPDATE slack_inbox SET claimed_by = ?, claim_until = ?
       WHERE id = ? AND applied_at IS NULL AND failed_reason IS NULL AND claim_until < ?`,
      [claimedBy, until, Number(id), now],
    );
    if (result.affectedRows !== 1) {
      // Another process took it: that ticket's later entries are its to apply after it.
      if (orderKey !== null) skipped.add(orderKey);
      continue;
    }
    const [row] = await sqlReadOnce<{ kind: string; payload: string; attempts: number }>(
      db,
      'SELECT kind, payload, attempts FROM slack_inbox WHERE id = ?',
      [Number(id)],
    );
    if (row)
      claimed.push({
        id: Number(id),
        kind: row.kind,
        payload: JSON.parse(row.payload),
        attempts: Number(row.attempts),
      });
  }
  return claimed;
}

/** Whether the entry has been applied. */
export async function isApplied(db: Database, id: number): Promise<boolean> {
  const [row] = await sqlReadOnce<{ appliedAt: unknown }>(
    db,
    'SELECT applied_at AS appliedAt FROM slack_inbox WHERE id = ?',
    [id],
  );
  return row?.appliedAt !== null && row?.appliedAt !== undefined;
}
