import type { Database } from '../../db/index.js';
import { sqlReadOnce, sqlWriteOnce } from '../../db/sql.js';

/**
 * What the Slack inbox and outbox tables share: rows claimed by one process at a time
 * (claimed_by, claim_until), tried again with a delay, given up with a reason, finished at a
 * moment (the inbox's applied_at, the outbox's done_at) and deleted some time after.
 */
const FINISHED_AT = { slack_inbox: 'applied_at', slack_outbox: 'done_at' } as const;
export type ClaimTable = keyof typeof FINISHED_AT;

/** Gives the row back for a later attempt, after `retryAt`. */
export async function releaseForRetry(
  db: Database,
  table: ClaimTable,
  id: number,
  attempts: number,
  retryAt: Date,
): Promise<void> {
  await sqlWriteOnce(
    db,
    `UPDATE ${table} SET attempts = ?, claimed_by = NULL, claim_until = ?
     WHERE id = ? AND ${FINISHED_AT[table]} IS NULL`,
    [attempts, retryAt, id],
  );
}

/** Gives up on the row (it failed every attempt, or is refused for good); never claimed again. */
export async function markFailed(
  db: Database,
  table: ClaimTable,
  id: number,
  attempts: number,
  reason: string,
): Promise<void> {
  await sqlWriteOnce(
    db,
    `UPDATE ${table} SET attempts = ?, claimed_by = NULL, failed_reason = ?
     WHERE id = ? AND ${FINISHED_AT[table]} IS NULL`,
    [attempts, reason.slice(0, 255), id],
  );
}

/** Deletes up to `limit` rows finished before `before`; how many went. */
export async function deleteFinished(
  db: Database,
  table: ClaimTable,
  before: Date,
  limit: number,
): Promise<number> {
  const old = await sqlReadOnce<{ id: number }>(
    db,
    `SELECT id FROM ${table} WHERE ${FINISHED_AT[table]} < ? ORDER BY id LIMIT ?`,
    [before, limit],
  );
  if (old.length === 0) return 0;
  const ids = old.map((row) => Number(row.id));
  const result = await sqlWriteOnce(
    db,
    `DELETE FROM ${table} WHERE id IN (${ids.map(() => '?').join(', ')})`,
    ids,
  );
  return result.affectedRows;
}
