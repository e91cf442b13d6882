import type { SlaPolicy } from '../../src/sla/policy.js';
import { calendarOf } from '../../src/sla/settings.js';

// The service-level policies the SLA tests run under, each with business hours easy to count in.

/**
 * Business hours all week round the clock in UTC, every priority 60 min to first response and
 * 240 to resolution: each target is plain wall-clock minutes from a ticket's opening (warned at
 * 45 and 180).
 */
export const ROUND_THE_CLOCK: SlaPolicy = {
  calendar: calendarOf({
    timeZone: 'UTC',
    workingDays: 'Mon-Sun',
    workingHours: '00:00-24:00',
    holidays: '',
  }),
  targets: {
    urgent: { responseMinutes: 60, resolutionMinutes: 240 },
    high: { responseMinutes: 60, resolutionMinutes: 240 },
    normal: { responseMinutes: 60, resolutionMinutes: 240 },
    low: { responseMinutes: 60, resolutionMinutes: 240 },
  },
};

/** Mon-Fri 09:00-17:00 UTC (an 8-hour business day), each priority its own target. */
export const OFFICE_HOURS: SlaPolicy = {
  calendar: calendarOf({
    timeZone: 'UTC',
    workingDays: 'Mon-Fri',
    workingHours: '09:00-17:00',
    holidays: '',
  }),
  targets: {
    urgent: { responseMinutes: 60, resolutionMinutes: 120 },
    high: { responseMinutes: 120, resolutionMinutes: 240 },
    normal: { responseMinutes: 120, resolutionMinutes: 480 },
    low: { responseMinutes: 480, resolutionMinutes: 2400 },
  },
};
