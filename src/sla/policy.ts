import { type BusinessCalendar, businessDayMinutes } from './businessTime.js';
import { parseTarget, type SlaTarget } from './settings.js';

/** The ticket priorities targets are set for (the same names as the tickets' priorities). */
export const SLA_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type SlaPriority = (typeof SLA_PRIORITIES)[number];

/** The written defaults of SLA_TARGETS_<PRIORITY> (d: business days, the working hours' length). */
export const DEFAULT_TARGETS: Record<SlaPriority, string> = {
  urgent: '1h/4h',
  high: '4h/1d',
  normal: '1d/3d',
  low: '2d/5d',
};

/** The service levels in force: when the helpdesk works and what it promises per priority. */
export interface SlaPolicy {
  calendar: BusinessCalendar;
  targets: Record<SlaPriority, SlaTarget>;
}

/** Share of a target after which the technician is warned. */
export const WARNING_SHARE = 0.75;

/**
 * A request type's own targets, as an admin wrote them ("30m/2h"), for the priorities it sets
 * them for; the others take the priority's (SLA_TARGETS_<PRIORITY>).
 */
export type TypeTargets = Partial<Record<SlaPriority, string>>;

/**
 * The target a ticket of this priority and type is held to: the type's own for the priority when
 * it sets one, else the priority's. A type's target that no longer reads (the working hours
 * were shortened under a "7h/1d") falls back to the priority's.
 */
export function targetFor(policy: SlaPolicy, priority: SlaPriority, typeTargets?: TypeTargets): SlaTarget {
  const written = typeTargets?.[priority];
  if (written) {
    try {
      return parseTarget(written, businessDayMinutes(policy.calendar));
    } catch {
      // the priority's, below
    }
  }
  return policy.targets[priority];
}
