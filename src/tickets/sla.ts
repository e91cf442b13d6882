import type { Transaction } from 'sequelize';
import type { Database } from '../db/index.js';
import type { Priority, Ticket } from '../db/models/ticket.js';
import type { EventType } from '../db/models/ticketEvent.js';
import { addBusinessMinutes, businessMinutesBetween } from '../sla/businessTime.js';
import { SLA_PRIORITIES, type SlaPolicy, type TypeTargets, targetFor, WARNING_SHARE } from '../sla/policy.js';

// The service-level clocks a ticket carries, kept by the change functions inside their
// transactions (createTicket, changeTicket). What is stored is the state (when it was opened,
// first answered, when the running stretch of the resolution clock began and how much business
// time earlier stretches used); due and warning times are derived from that state and the
// target of the ticket's priority (its request type's own for that priority, when the type sets
// one), so a priority or type change only derives them again.

export type SlaClockFields = Pick<
  Ticket,
  | 'firstResponseAt'
  | 'slaResponseDueAt'
  | 'slaResponseWarnAt'
  | 'slaResponseMetAt'
  | 'slaResponseMissedAt'
  | 'slaResolutionDueAt'
  | 'slaResolutionWarnAt'
  | 'slaResolutionMetAt'
  | 'slaResolutionMissedAt'
  | 'slaResolutionStartedAt'
  | 'slaResolutionUsedSeconds'
>;

/** A request type's own targets as its `sla_targets` column holds them (JSON); {} when none. */
export function typeTargetsOf(text: string | null | undefined): TypeTargets {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  const targets: TypeTargets = {};
  if (!parsed || typeof parsed !== 'object') return targets;
  for (const priority of SLA_PRIORITIES) {
    const written = (parsed as Record<string, unknown>)[priority];
    // As saveRequestType stores them (checkTypeTargets): digits, d, h, m and one slash.
    if (typeof written === 'string' && /^[0-9dhm]+\/[0-9dhm]+$/.test(written)) targets[priority] = written;
  }
  return targets;
}

/** The own targets of the request type `id` (none: {}), read in the change's transaction. */
export async function targetsOfType(
  db: Database,
  transaction: Transaction,
  id: number | null | undefined,
): Promise<TypeTargets> {
  if (id === null || id === undefined) return {};
  const row = await db.models.RequestType.findByPk(id, { attributes: ['id', 'slaTargets'], transaction });
  return typeTargetsOf(row?.slaTargets);
}

/**
 * The clocks of a ticket opened at `now` (all empty when service levels are off), held to its
 * priority's target or, when its request type sets its own for that priority, the type's.
 */
export function newTicketClocks(
  policy: SlaPolicy | undefined,
  priority: Priority,
  now: Date,
  typeTargets?: TypeTargets,
): SlaClockFields {
  const clocks: SlaClockFields = {
    firstResponseAt: null,
    slaResponseDueAt: null,
    slaResponseWarnAt: null,
    slaResponseMetAt: null,
    slaResponseMissedAt: null,
    slaResolutionDueAt: null,
    slaResolutionWarnAt: null,
    slaResolutionMetAt: null,
    slaResolutionMissedAt: null,
    slaResolutionStartedAt: null,
    slaResolutionUsedSeconds: 0,
  };
  if (!policy) return clocks;
  const target = targetFor(policy, priority, typeTargets);
  const { calendar } = policy;
  clocks.slaResponseDueAt = addBusinessMinutes(calendar, now, target.responseMinutes);
  clocks.slaResponseWarnAt = addBusinessMinutes(calendar, now, target.responseMinutes * WARNING_SHARE);
  clocks.slaResolutionStartedAt = now;
  clocks.slaResolutionDueAt = addBusinessMinutes(calendar, now, target.resolutionMinutes);
  clocks.slaResolutionWarnAt = addBusinessMinutes(calendar, now, target.resolutionMinutes * WARNING_SHARE);
  return clocks;
}

/** Whether a ticket has service-level clocks at all (opened while they were on). */
export function hasClocks(ticket: Ticket): boolean {
  return ticket.slaResolutionDueAt !== null && ticket.slaResolutionDueAt !== undefined;
}

export interface ClockedChange {
  type: EventType;
  /** The ticket's status before the change. */
  before: Ticket['status'];
  /** The actor is a technician or admin and not the ticket's requester: their move answers it. */
  byResponder: boolean;
  /** The priority before the change, when the change made it another. */
  priorityBefore?: Priority;
  /** The request type before the change (its id, or null), when the change may have made it another. */
  requestTypeBefore?: number | null;
  /** The own targets of the ticket's request type after the change (see `derivesDueTimes`). */
  typeTargets?: TypeTargets;
  now: Date;
}

/**
 * Whether the change derives the due times again, and so needs the type's targets: a reopen,
 * another priority, another request type (of a ticket with clocks, service levels on).
 */
export function derivesDueTimes(
  policy: SlaPolicy | undefined,
  ticket: Ticket,
  change: Pick<ClockedChange, 'before' | 'priorityBefore' | 'requestTypeBefore'>,
): boolean {
  if (!policy || !hasClocks(ticket)) return false;
  return (
    (change.before === 'closed' && ticket.status !== 'closed') ||
    priorityChanged(ticket, change) ||
    typeChanged(ticket, change)
  );
}

function priorityChanged(ticket: Ticket, change: Pick<ClockedChange, 'priorityBefore'>): boolean {
  return change.priorityBefore !== undefined && change.priorityBefore !== ticket.priority;
}

function typeChanged(ticket: Ticket, change: Pick<ClockedChange, 'requestTypeBefore'>): boolean {
  return (
    change.requestTypeBefore !== undefined && change.requestTypeBefore !== (ticket.requestTypeId ?? null)
  );
}

/**
 * Moves the clocks of `ticket` (already changed by its rule) for the change: a responder's
 * comment or status change answers it, closing stops the resolution clock, a reopen starts it
 * again from where it stood, a priority or request type change derives the due times again.
 */
export function advanceClocks(policy: SlaPolicy | undefined, ticket: Ticket, change: ClockedChange): void {
  const { now } = change;
  const answers = change.type === 'commented' || change.type === 'status_changed';
  // The first answer's moment is kept with or without targets: the reports count it.
  const firstAnswer = answers && change.byResponder && !ticket.firstResponseAt;
  if (firstAnswer) ticket.firstResponseAt = now;
  if (!policy || !hasClocks(ticket)) return;
  if (firstAnswer) settle(ticket, 'response', now);
  if (change.before !== 'closed' && ticket.status === 'closed') {
    const started = ticket.slaResolutionStartedAt;
    if (started) {
      ticket.slaResolutionUsedSeconds += Math.round(
        businessMinutesBetween(policy.calendar, started, now) * 60,
      );
    }
    ticket.slaResolutionStartedAt = null;
    settle(ticket, 'resolution', now);
  } else if (change.before === 'closed' && ticket.status !== 'closed') {
    ticket.slaResolutionStartedAt = now;
    ticket.slaResolutionMetAt = null;
    deriveResolution(policy, ticket, now, change.typeTargets);
  }
  if (priorityChanged(ticket, change) || typeChanged(ticket, change)) {
    deriveResponse(policy, ticket, now, change.typeTargets);
    deriveResolution(policy, ticket, now, change.typeTargets);
  }
}

/** The target was reached at `now`: met if in time, else missed at its due time. */
export function settle(ticket: SlaClockFields, target: 'response' | 'resolution', now: Date): void {
  const due = target === 'response' ? ticket.slaResponseDueAt : ticket.slaResolutionDueAt;
  const missed = target === 'response' ? ticket.slaResponseMissedAt : ticket.slaResolutionMissedAt;
  if (!due) return;
  if (target === 'response') {
    if (now.getTime() <= due.getTime() && !missed) ticket.slaResponseMetAt = now;
    else ticket.slaResponseMissedAt = missed ?? due;
  } else if (now.getTime() <= due.getTime() && !missed) ticket.slaResolutionMetAt = now;
  else ticket.slaResolutionMissedAt = missed ?? due;
}

/** The first-response due and warning times from the opening and the ticket's target. */
function deriveResponse(policy: SlaPolicy, ticket: Ticket, now: Date, typeTargets?: TypeTargets): void {
  if (ticket.firstResponseAt) return; // answered: what was promised then stays the record
  const minutes = targetFor(policy, ticket.priority, typeTargets).responseMinutes;
  ticket.slaResponseDueAt = addBusinessMinutes(policy.calendar, ticket.createdAt, minutes);
  ticket.slaResponseWarnAt = addBusinessMinutes(policy.calendar, ticket.createdAt, minutes * WARNING_SHARE);
  // A longer target can make a missed response in time again; the SLA job records a new miss.
  if (ticket.slaResponseDueAt.getTime() > now.getTime()) ticket.slaResponseMissedAt = null;
}

/**
 * The resolution due and warning times of the running stretch: what the target leaves after the
 * business time earlier stretches used, counted from the stretch's start.
 */
function deriveResolution(policy: SlaPolicy, ticket: Ticket, now: Date, typeTargets?: TypeTargets): void {
  const started = ticket.slaResolutionStartedAt;
  if (!started) return; // closed: its due time stays the record
  const minutes = targetFor(policy, ticket.priority, typeTargets).resolutionMinutes;
  const used = ticket.slaResolutionUsedSeconds / 60;
  const left = minutes - used;
  const warnLeft = minutes * WARNING_SHARE - used;
  // Used up before this stretch: due (and past its warning) from the stretch's first moment.
  ticket.slaResolutionDueAt = addBusinessMinutes(policy.calendar, started, Math.max(0, left));
  ticket.slaResolutionWarnAt = addBusinessMinutes(policy.calendar, started, Math.max(0, warnLeft));
  if (left > 0 && ticket.slaResolutionDueAt.getTime() > now.getTime()) ticket.slaResolutionMissedAt = null;
}
