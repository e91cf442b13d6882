// What a ticket's service-level clocks say now, for the card, the App Home and the status page:
// the target that matters (the first response until it is given, then the resolution), when it
// is due and how long is left, or by how much it is late. Left and late are wall-clock time, as
// the due time shown beside them is.

/** The stored clocks a standing is read from (the ticket's columns). */
export interface SlaClocks {
  status: string;
  firstResponseAt: Date | null;
  slaResponseDueAt: Date | null;
  slaResponseMissedAt: Date | null;
  slaResolutionDueAt: Date | null;
  slaResolutionMetAt: Date | null;
  slaResolutionMissedAt: Date | null;
}

export type SlaStandingKind =
  | 'respondBy'
  | 'responseOverdue'
  | 'resolveBy'
  | 'resolutionOverdue'
  | 'resolvedInTime'
  | 'resolutionMissed';

export interface SlaStanding {
  kind: SlaStandingKind;
  due: Date;
  /** Whole minutes left (…By) or late (…Overdue); 0 for a closed ticket. */
  minutes: number;
}

const minutesBetween = (from: Date, to: Date) =>
  Math.max(0, Math.floor((to.getTime() - from.getTime()) / 60_000));

/** The standing of a ticket's clocks at `now`; undefined when it has none. */
export function slaStanding(clocks: SlaClocks, now: Date): SlaStanding | undefined {
  const resolutionDue = clocks.slaResolutionDueAt;
  if (!resolutionDue) return undefined;
  if (clocks.status === 'closed') {
    return clocks.slaResolutionMissedAt
      ? { kind: 'resolutionMissed', due: resolutionDue, minutes: 0 }
      : clocks.slaResolutionMetAt
        ? { kind: 'resolvedInTime', due: resolutionDue, minutes: 0 }
        : undefined;
  }
  const responseDue = clocks.slaResponseDueAt;
  if (!clocks.firstResponseAt && responseDue) {
    // An unanswered ticket whose resolution is also late shows the resolution: it is the worse.
    const resolutionLate = resolutionDue.getTime() < now.getTime();
    if (!resolutionLate) {
      return responseDue.getTime() < now.getTime() || clocks.slaResponseMissedAt
        ? { kind: 'responseOverdue', due: responseDue, minutes: minutesBetween(responseDue, now) }
        : { kind: 'respondBy', due: responseDue, minutes: minutesBetween(now, responseDue) };
    }
  }
  return resolutionDue.getTime() < now.getTime() || clocks.slaResolutionMissedAt
    ? { kind: 'resolutionOverdue', due: resolutionDue, minutes: minutesBetween(resolutionDue, now) }
    : { kind: 'resolveBy', due: resolutionDue, minutes: minutesBetween(now, resolutionDue) };
}

/** A duration in the parts the texts name: days and hours past a day, else hours and minutes. */
export function durationParts(minutes: number): { days: number; hours: number; minutes: number } {
  const whole = Math.max(0, Math.floor(minutes));
  return { days: Math.floor(whole / 1440), hours: Math.floor((whole % 1440) / 60), minutes: whole % 60 };
}
