import type { BusinessCalendar } from './businessTime.js';
import type { SlaTarget } from './settings.js';

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
