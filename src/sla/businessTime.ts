import { DateTime } from 'luxon';

// Business-hours arithmetic for service-level targets: pure functions of a calendar and instants.
// Every working day is walked in the calendar's own time zone, so a daylight-saving change moves
// the working window's instants with the wall clock (09:00 stays 09:00 in Paris in March and in
// October), and the window's length is whatever the wall clock makes it that day.

/** When the helpdesk works: its time zone, working weekdays, working hours and holidays. */
export interface BusinessCalendar {
  /** IANA time zone name, such as Europe/Paris. */
  timeZone: string;
  /** ISO weekdays worked, 1 = Monday … 7 = Sunday. */
  workingDays: ReadonlySet<number>;
  /** Working hours as minutes after local midnight: start < end, end at most 1440 (24:00). */
  startMinute: number;
  endMinute: number;
  /** Days off as local dates, YYYY-MM-DD. */
  holidays: ReadonlySet<string>;
}

const MINUTE_MS = 60_000;
// A calendar is checked at start-up to have a working day, and holidays are a finite list, so a
// window is always found well within this many days; the bound only turns a bug into an error.
const MAX_DAYS_WALKED = 366 * 20;

/** The length of one business day in minutes: the working hours' length. */
export function businessDayMinutes(calendar: BusinessCalendar): number {
  return calendar.endMinute - calendar.startMinute;
}

/** The working window of the local day `day` (start of that day in the zone), or undefined if none. */
function windowOf(calendar: BusinessCalendar, day: DateTime): { start: number; end: number } | undefined {
  if (!calendar.workingDays.has(day.weekday)) return undefined;
  if (calendar.holidays.has(day.toISODate() ?? '')) return undefined;
  const at = (minute: number) =>
    minute >= 1440
      ? day.plus({ days: 1 }).startOf('day')
      : // Calendar fields, not a duration from midnight: on a DST day 09:00 is still 09:00. A
        // time inside the spring-forward gap is moved forward by luxon, as the wall clock does.
        day.set({ hour: Math.floor(minute / 60), minute: minute % 60, second: 0, millisecond: 0 });
  const start = at(calendar.startMinute).toMillis();
  const end = at(calendar.endMinute).toMillis();
  return end > start ? { start, end } : undefined;
}

function* windowsFrom(calendar: BusinessCalendar, from: number): Generator<{ start: number; end: number }> {
  let day = DateTime.fromMillis(from, { zone: calendar.timeZone }).startOf('day');
  for (let walked = 0; walked < MAX_DAYS_WALKED; walked += 1) {
    const window = windowOf(calendar, day);
    if (window && window.end > from) yield { start: Math.max(window.start, from), end: window.end };
    day = day.plus({ days: 1 }).startOf('day');
  }
  throw new Error(`No working time within ${MAX_DAYS_WALKED} days of ${new Date(from).toISOString()}`);
}

/**
 * The instant `minutes` business minutes after `from` (fractions allowed). Adding 0 from outside
 * working hours gives `from` itself; adding more lands inside a working window, never at the
 * start of a closed period (a target that runs out at 17:00 sharp is due at 17:00, not the next
 * morning at 09:00).
 */
export function addBusinessMinutes(calendar: BusinessCalendar, from: Date, minutes: number): Date {
  if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError(`minutes must be ≥ 0, got ${minutes}`);
  let left = minutes * MINUTE_MS;
  if (left === 0) return new Date(from.getTime());
  for (const window of windowsFrom(calendar, from.getTime())) {
    const length = window.end - window.start;
    if (left <= length) return new Date(window.start + left);
    left -= length;
  }
  throw new Error('unreachable');
}

/** Business minutes between `from` and `to` (fractions kept); negative when `to` is before `from`. */
export function businessMinutesBetween(calendar: BusinessCalendar, from: Date, to: Date): number {
  const start = from.getTime();
  const end = to.getTime();
  if (end < start) return -businessMinutesBetween(calendar, to, from);
  let total = 0;
  for (const window of windowsFrom(calendar, start)) {
    if (window.start >= end) break;
    total += Math.min(window.end, end) - window.start;
  }
  return total / MINUTE_MS;
}

/** Whether `at` falls inside working hours. */
export function isBusinessTime(calendar: BusinessCalendar, at: Date): boolean {
  const day = DateTime.fromMillis(at.getTime(), { zone: calendar.timeZone }).startOf('day');
  const window = windowOf(calendar, day);
  return window !== undefined && at.getTime() >= window.start && at.getTime() < window.end;
}
