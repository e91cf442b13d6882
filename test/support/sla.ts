import type { Database } from '../../src/db/index.js';
import type { SlaPolicy } from '../../src/sla/policy.js';
import { calendarOf } from '../../src/sla/settings.js';

// The service-level policies the SLA tests run under (business hours easy to count in), and a
// ticket's clocks read back as the tests compare them.

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

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

/** A ticket's clocks as stored, each moment as an ISO string (null when unset). */
export async function storedClocks(db: Database, ticketId: number) {
  const ticket = await db.models.Ticket.findByPk(ticketId, { rejectOnEmpty: true });
  return {
    firstResponseAt: iso(ticket.firstResponseAt),
    responseDue: iso(ticket.slaResponseDueAt),
    responseWarn: iso(ticket.slaResponseWarnAt),
    responseMet: iso(ticket.slaResponseMetAt),
    responseMissed: iso(ticket.slaResponseMissedAt),
    resolutionDue: iso(ticket.slaResolutionDueAt),
    resolutionWarn: iso(ticket.slaResolutionWarnAt),
    resolutionMet: iso(ticket.slaResolutionMetAt),
    resolutionMissed: iso(ticket.slaResolutionMissedAt),
    resolutionStarted: iso(ticket.slaResolutionStartedAt),
    usedSeconds: ticket.slaResolutionUsedSeconds,
  };
}
