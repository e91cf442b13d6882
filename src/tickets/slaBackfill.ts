import type { Database } from '../db/index.js';
import { sqlReadOnce, sqlWrite } from '../db/sql.js';
import { runInTransaction } from '../db/transaction.js';
import type { TicketServices } from './context.js';
import { newTicketClocks, settle, targetsOfType } from './sla.js';
import type { SlaTargetName } from './slaAlerts.js';
import { readTicket } from './statements.js';

// Clocks for the open tickets that have none: opened before the SLA clocks existed
// (20261206010000-sla-clocks) or while SLA_ENABLED=false, or closed then and reopened since.
// The SLA job runs this first (runSlaAlerts): once every open ticket has its clocks, a run costs
// one indexed look-up (tickets_sla_backfill) that finds nothing.
//
// Each ticket's clocks are the ones it would have had if it had been opened with today's policy:
// newTicketClocks from its created_at, the first-response target settled if it was answered
// already (met or missed by when the first answer came). A target whose due time has passed at
// `now` is recorded as missed at its due time, and its warning and breach are claimed in
// sla_alerts without being raised: nobody is told about an old ticket, and the SLA job leaves
// it be. A target not yet due is left running: the SLA job warns and breaches it as for any
// ticket (at once, for a warning whose time has come). No history event and no new version
// (no card redrawn): one log line says how many tickets were given clocks.
//
// Replicas: each ticket is done in its own transaction, read under its row lock and written only
// while it still has no clocks (`AND sla_resolution_due_at IS NULL`), the claims inserted with
// insert-ignore semantics under the unique sla_alerts_once: two replicas at once write each
// ticket once and each claim once.

/** How many tickets one look-up takes; the next look-up goes on after the last id. */
const BATCH = 500;

interface MissingRow {
  id: number;
}

// status IN (…) rather than <> 'closed': equalities on the first column of tickets_sla_backfill,
// so only the open tickets without clocks are read, never the closed ones that never get any.
const WITHOUT_CLOCKS = `status IN ('open', 'in_progress') AND sla_resolution_due_at IS NULL`;

/**
 * Whether any open ticket has no clocks: what every run costs once all have them. Without ORDER
 * BY or an id range, as those lead SQLite's planner to walk the whole table in id order instead
 * of the index (EXPLAIN QUERY PLAN: "SEARCH tickets USING COVERING INDEX tickets_sla_backfill").
 */
async function anyWithoutClocks(db: Database): Promise<boolean> {
  const rows = await sqlReadOnce<MissingRow>(
    db,
    `SELECT id FROM tickets WHERE ${WITHOUT_CLOCKS} LIMIT 1`,
    [],
  );
  return rows.length > 0;
}

/** The open tickets without clocks after `afterId`, in id order. */
function ticketsWithoutClocks(db: Database, afterId: number, batch: number): Promise<MissingRow[]> {
  return sqlReadOnce<MissingRow>(
    db,
    `SELECT id FROM tickets WHERE ${WITHOUT_CLOCKS} AND id > ? ORDER BY id LIMIT ${batch}`,
    [afterId],
  );
}

/** Gives ticket `id` its clocks if it is still open without any. Returns whether it did. */
async function backfillTicket(services: TicketServices, id: number, now: Date): Promise<boolean> {
  const { db } = services;
  const policy = services.sla;
  if (!policy) return false;
  return runInTransaction(db, async (transaction) => {
    // Under the row lock: a change under way (a first answer, a close) is seen once it commits.
    const ticket = await readTicket(db, id, transaction);
    if (!ticket || ticket.status === 'closed' || ticket.slaResolutionDueAt) return false;
    // Held to its request type's own target for its priority, when the type sets one.
    const typeTargets = await targetsOfType(db, transaction, ticket.requestTypeId);
    const clocks = newTicketClocks(policy, ticket.priority, ticket.createdAt, typeTargets);
    clocks.firstResponseAt = ticket.firstResponseAt ?? null;
    if (clocks.firstResponseAt) settle(clocks, 'response', clocks.firstResponseAt);
    const missed: SlaTargetName[] = [];
    if (
      !clocks.firstResponseAt &&
      clocks.slaResponseDueAt &&
      clocks.slaResponseDueAt.getTime() <= now.getTime()
    ) {
      clocks.slaResponseMissedAt = clocks.slaResponseDueAt;
    }
    if (clocks.slaResponseMissedAt) missed.push('response');
    if (clocks.slaResolutionDueAt && clocks.slaResolutionDueAt.getTime() <= now.getTime()) {
      clocks.slaResolutionMissedAt = clocks.slaResolutionDueAt;
      missed.push('resolution');
    }
    const written = await sqlWrite(
      db,
      transaction,
      `UPDATE tickets
          SET sla_response_due_at = ?, sla_response_warn_at = ?, sla_response_met_at = ?,
              sla_response_missed_at = ?, sla_resolution_due_at = ?, sla_resolution_warn_at = ?,
              sla_resolution_met_at = ?, sla_resolution_missed_at = ?, sla_resolution_started_at = ?,
              sla_resolution_used_seconds = ?, updated_at = ?
        WHERE id = ? AND sla_resolution_due_at IS NULL`,
      [
        clocks.slaResponseDueAt,
        clocks.slaResponseWarnAt,
        clocks.slaResponseMetAt,
        clocks.slaResponseMissedAt,
        clocks.slaResolutionDueAt,
        clocks.slaResolutionWarnAt,
        clocks.slaResolutionMetAt,
        clocks.slaResolutionMissedAt,
        clocks.slaResolutionStartedAt,
        clocks.slaResolutionUsedSeconds,
        new Date(),
        ticket.id,
      ],
    );
    if (written.affectedRows === 0) return false;
    // The same claim the SLA job makes (raiseSlaAlert), only without raising anything.
    const ignore = db.dialect === 'mysql' ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
    for (const target of missed) {
      for (const kind of ['warning', 'breach'] as const) {
        await sqlWrite(
          db,
          transaction,
          `${ignore} INTO sla_alerts (ticket_id, target, kind, created_at) VALUES (?, ?, ?, ?)`,
          [ticket.id, target, kind, now],
        );
      }
    }
    return true;
  });
}

/**
 * Gives every open ticket without service-level clocks its clocks (see above), batch after batch
 * in id order. Returns how many it gave clocks to here (another replica may have done some).
 */
export async function backfillSlaClocks(
  services: TicketServices,
  now = new Date(),
  options: { batch?: number } = {},
): Promise<number> {
  if (!services.sla) return 0;
  const batch = options.batch ?? BATCH;
  if (!Number.isInteger(batch) || batch < 1)
    throw new Error(`SLA backfill batch must be a positive integer, not ${batch}`);
  if (!(await anyWithoutClocks(services.db))) return 0;
  let given = 0;
  let failed = 0;
  let afterId = 0;
  for (;;) {
    const rows = await ticketsWithoutClocks(services.db, afterId, batch);
    for (const row of rows) {
      const id = Number(row.id);
      afterId = id;
      try {
        if (await backfillTicket(services, id, now)) given += 1;
      } catch (error) {
        // One ticket's failure must not hold up the others; the next run tries it again.
        failed += 1;
        services.logger.error({ err: error, ticketId: id }, 'SLA clocks backfill failed');
      }
    }
    if (rows.length < batch) break;
  }
  if (given > 0 || failed > 0)
    services.logger.info(
      { tickets: given, failed },
      `SLA clocks given to ${given} open tickets without them`,
    );
  return given;
}
