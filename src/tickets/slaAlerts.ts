import type { Database } from '../db/index.js';
import type { Ticket } from '../db/models/ticket.js';
import { saveChanged, sqlReadOnce, sqlWrite } from '../db/sql.js';
import { runInTransaction } from '../db/transaction.js';
import { toDate } from '../db/values.js';
import { runAfterCommit } from './change.js';
import type { TicketChange, TicketServices } from './context.js';
import { backfillSlaClocks } from './slaBackfill.js';
import { insertEvent, readTicket } from './statements.js';

// Service-level warnings (at 75 % of a target) and breaches (the target's due time passed),
// raised by the SLA job (src/server.ts schedules it). Each is a ticket change of its own: it
// claims its sla_alerts row, records its event in the history and lets the hooks write what it
// owes (the Slack outbox: a DM or a thread reply, the card redrawn; the email outbox: managers
// told of a breach), all in one transaction. The unique row is the claim: across replicas and
// restarts each warning and breach of a ticket's target happens once, and only while the
// target is neither met nor missed and the ticket is not closed.

export const SLA_TARGETS = ['response', 'resolution'] as const;
export type SlaTargetName = (typeof SLA_TARGETS)[number];
export type SlaAlertKind = 'warning' | 'breach';

/** The actor of the history events the SLA job records (not a Slack user: nobody's name). */
export const SLA_ACTOR = 'ticketbot';

/** How many tickets one run looks at; the next run takes the rest. */
const BATCH = 200;
/** At most this many batches per run (200 × 25 alerts a minute), so one run never runs on for long. */
const MAX_ROUNDS = 25;

interface Candidate {
  ticketId: number;
  target: SlaTargetName;
  kind: SlaAlertKind;
}

interface ClockRow {
  id: number;
  first_response_at: unknown;
  sla_response_warn_at: unknown;
  sla_response_due_at: unknown;
  sla_resolution_warn_at: unknown;
  sla_resolution_due_at: unknown;
  sla_resolution_started_at: unknown;
  sla_response_missed_at: unknown;
  sla_resolution_missed_at: unknown;
}

/** What the target of `ticket` is owed at `now`, if anything: read again under the ticket's lock. */
export function alertDue(ticket: Ticket, target: SlaTargetName, now: Date): SlaAlertKind | undefined {
  if (ticket.status === 'closed') return undefined;
  const [due, warnAt, running] =
    target === 'response'
      ? [
          ticket.slaResponseDueAt,
          ticket.slaResponseWarnAt,
          !ticket.firstResponseAt && !ticket.slaResponseMissedAt,
        ]
      : [
          ticket.slaResolutionDueAt,
          ticket.slaResolutionWarnAt,
          Boolean(ticket.slaResolutionStartedAt) && !ticket.slaResolutionMissedAt,
        ];
  if (!running || !due) return undefined;
  if (due.getTime() <= now.getTime()) return 'breach';
  if (warnAt && warnAt.getTime() <= now.getTime()) return 'warning';
  return undefined;
}

const after = (value: unknown, now: Date) =>
  value !== null && value !== undefined && toDate(value).getTime() <= now.getTime();

/**
 * The alerts due at `now` and not raised yet (a warning whose breach is due too is left out).
 * Alerts already raised are left out in the query itself, so a ticket warned and waiting for its
 * due time takes no place in the batch: however many wait, newer tickets' warnings are found.
 */
export async function dueSlaAlerts(
  db: Database,
  now: Date,
  options: { batch?: number } = {},
): Promise<Candidate[]> {
  const batch = options.batch ?? BATCH;
  if (!Number.isInteger(batch) || batch < 1)
    throw new Error(`SLA batch must be a positive integer, not ${batch}`);
  // For each running target: its breach when the due time has passed, else its warning when the
  // warning time has — each only while its sla_alerts row is missing.
  const owed = (target: SlaTargetName, running: string) => `(${running}
          AND ((sla_${target}_due_at <= ?
                AND NOT EXISTS (SELECT 1 FROM sla_alerts a
                                 WHERE a.ticket_id = tickets.id AND a.target = '${target}' AND a.kind = 'breach'))
            OR (sla_${target}_warn_at <= ? AND sla_${target}_due_at > ?
                AND NOT EXISTS (SELECT 1 FROM sla_alerts a
                                 WHERE a.ticket_id = tickets.id AND a.target = '${target}' AND a.kind = 'warning'))))`;
  const rows = await sqlReadOnce<ClockRow>(
    db,
    `SELECT id, first_response_at, sla_response_warn_at, sla_response_due_at, sla_response_missed_at,
            sla_resolution_warn_at, sla_resolution_due_at, sla_resolution_started_at, sla_resolution_missed_at
       FROM tickets
      WHERE status <> 'closed'
        AND (${owed('response', 'first_response_at IS NULL AND sla_response_missed_at IS NULL')}
          OR ${owed('resolution', 'sla_resolution_started_at IS NOT NULL AND sla_resolution_missed_at IS NULL')})
      ORDER BY id
      LIMIT ${batch}`,
    [now, now, now, now, now, now],
  );
  if (rows.length === 0) return [];
  const raised = await sqlReadOnce<{ ticket_id: number; target: string; kind: string }>(
    db,
    `SELECT ticket_id, target, kind FROM sla_alerts WHERE ticket_id IN (${rows.map(() => '?').join(', ')})`,
    rows.map((row) => Number(row.id)),
  );
  const done = new Set(raised.map((row) => `${Number(row.ticket_id)}:${row.target}:${row.kind}`));
  const candidates: Candidate[] = [];
  for (const row of rows) {
    const ticketId = Number(row.id);
    const clocks: Array<[SlaTargetName, boolean, unknown, unknown]> = [
      [
        'response',
        row.first_response_at === null && row.sla_response_missed_at === null,
        row.sla_response_due_at,
        row.sla_response_warn_at,
      ],
      [
        'resolution',
        row.sla_resolution_started_at !== null && row.sla_resolution_missed_at === null,
        row.sla_resolution_due_at,
        row.sla_resolution_warn_at,
      ],
    ];
    for (const [target, running, due, warnAt] of clocks) {
      if (!running) continue;
      const kind: SlaAlertKind | undefined = after(due, now)
        ? 'breach'
        : after(warnAt, now)
          ? 'warning'
          : undefined;
      if (kind && !done.has(`${ticketId}:${target}:${kind}`)) candidates.push({ ticketId, target, kind });
    }
  }
  return candidates;
}

/** Nothing to raise after all (met, closed, or raised by another replica): leave everything as it was. */
class NotOwed extends Error {
  constructor() {
    super('SLA alert not owed');
  }
}

/**
 * Raises one alert if it is still owed: claims its row, records the breach (the target missed at
 * its due time) and the history event, bumps the version (the card is redrawn) and runs the
 * hooks. Returns the change, or undefined when it was not owed (any more).
 */
export async function raiseSlaAlert(
  services: TicketServices,
  candidate: Candidate,
  now: Date,
): Promise<TicketChange | undefined> {
  const { db } = services;
  let change: TicketChange;
  try {
    change = await runInTransaction(db, async (transaction) => {
      const ticket = await readTicket(db, candidate.ticketId, transaction);
      if (!ticket || alertDue(ticket, candidate.target, now) !== candidate.kind) throw new NotOwed();
      // Under the ticket's row lock; the unique index keeps a second claim out all the same.
      const ignore = db.dialect === 'mysql' ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
      const claim = await sqlWrite(
        db,
        transaction,
        `${ignore} INTO sla_alerts (ticket_id, target, kind, created_at) VALUES (?, ?, ?, ?)`,
        [ticket.id, candidate.target, candidate.kind, now],
      );
      if (claim.affectedRows === 0) throw new NotOwed();
      const before = { status: ticket.status, technicianId: ticket.technicianId };
      if (candidate.kind === 'breach') {
        if (candidate.target === 'response') ticket.slaResponseMissedAt = ticket.slaResponseDueAt;
        else ticket.slaResolutionMissedAt = ticket.slaResolutionDueAt;
      }
      ticket.version += 1;
      await saveChanged(db, transaction, ticket);
      const event = await insertEvent(db, transaction, {
        ticketId: ticket.id,
        actorId: SLA_ACTOR,
        type: candidate.kind === 'breach' ? 'sla_breached' : 'sla_warning',
        fromValue: candidate.target,
        toValue: null,
        version: ticket.version,
        createdAt: now,
      });
      const result: TicketChange = { event, ticket, before };
      for (const hook of services.hooks.inTransaction) await hook(result, transaction);
      return result;
    });
  } catch (error) {
    if (error instanceof NotOwed) return undefined;
    throw error;
  }
  await runAfterCommit({ ...services, actorId: SLA_ACTOR }, change);
  return change;
}

/**
 * One run of the SLA job: first the clocks of open tickets that have none (backfillSlaClocks:
 * targets already past are settled there, claimed and never raised), then every alert due at
 * `now`, each raised once. Returns those raised here.
 * Batch after batch while the last one raised something (a batch whose alerts all failed or were
 * raised by another replica ends the run; the next run, a minute later, tries again).
 */
export async function runSlaAlerts(
  services: TicketServices,
  now = new Date(),
  options: { batch?: number } = {},
): Promise<TicketChange[]> {
  if (!services.sla) return [];
  try {
    await backfillSlaClocks(services, now);
  } catch (error) {
    // The alerts of the tickets that have clocks do not wait on it; the next run tries again.
    services.logger.error({ err: error }, 'SLA clocks backfill failed');
  }
  const raised: TicketChange[] = [];
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const candidates = await dueSlaAlerts(services.db, now, options);
    let progress = false;
    for (const candidate of candidates) {
      try {
        const change = await raiseSlaAlert(services, candidate, now);
        if (change) {
          raised.push(change);
          progress = true;
        }
      } catch (error) {
        // One ticket's failure (a lock wait, say) must not hold up the others; the next run retries.
        services.logger.error({ err: error, ...candidate }, 'SLA alert failed');
      }
    }
    if (!progress) break;
  }
  return raised;
}

/** The alerts a ticket has had, oldest first (for tests and the history's reader). */
export async function slaAlertsOf(
  db: Database,
  ticketId: number,
): Promise<Array<{ target: string; kind: string }>> {
  const rows = await sqlReadOnce<{ target: string; kind: string }>(
    db,
    'SELECT target, kind FROM sla_alerts WHERE ticket_id = ? ORDER BY id',
    [ticketId],
  );
  return rows.map((row) => ({ target: row.target, kind: row.kind }));
}
