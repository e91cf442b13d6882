import { DateTime } from 'luxon';
import type { BusinessCalendar } from './businessTime.js';

// How the SLA_* settings are written, parsed into a calendar and targets. Each parser throws an
// Error whose message says what was expected; src/config.ts turns it into a start-up problem.

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function dayNumber(name: string): number {
  const index = DAY_NAMES.indexOf(name.trim().toLowerCase().slice(0, 3));
  if (index < 0 || !/^[a-z]+$/i.test(name.trim())) {
    throw new Error(`"${name.trim()}" is not a weekday (Mon, Tue, Wed, Thu, Fri, Sat, Sun)`);
  }
  return index + 1;
}

/** "Mon-Fri", "Mon,Wed,Fri", "Sun-Thu" (a range wraps past Sunday): ISO weekdays 1-7. */
export function parseWorkingDays(text: string): Set<number> {
  const days = new Set<number>();
  for (const part of text.split(',').map((item) => item.trim())) {
    if (part === '') continue;
    const [first, last, extra] = part.split('-');
    if (extra !== undefined) throw new Error(`"${part}" is not a day or a range such as Mon-Fri`);
    const from = dayNumber(first ?? '');
    const to = last === undefined ? from : dayNumber(last);
    for (let day = from; ; day = (day % 7) + 1) {
      days.add(day);
      if (day === to) break;
    }
  }
  if (days.size === 0) throw new Error('name at least one working day, such as Mon-Fri');
  return days;
}

function minuteOfDay(text: string): number {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  const hour = Number(match?.[1]);
  const minute = Number(match?.[2]);
  if (!match || minute > 59 || hour > 24 || (hour === 24 && minute > 0)) {
    throw new Error(`"${text.trim()}" is not a time of day such as 09:00 or 17:30`);
  }
  return hour * 60 + minute;
}

/** "09:00-17:00": minutes after midnight, start before end (24:00 allowed as an end). */
export function parseWorkingHours(text: string): { startMinute: number; endMinute: number } {
  const [start, end, extra] = text.split('-');
  if (start === undefined || end === undefined || extra !== undefined) {
    throw new Error('working hours look like 09:00-17:00');
  }
  const startMinute = minuteOfDay(start);
  const endMinute = minuteOfDay(end);
  if (startMinute >= 1440 || endMinute <= startMinute) {
    throw new Error('the working hours must start before they end, within one day (such as 09:00-17:00)');
  }
  return { startMinute, endMinute };
}

/** "2026-12-25, 2027-01-01": local dates, each a real day. */
export function parseHolidays(text: string): Set<string> {
  const holidays = new Set<string>();
  for (const part of text.split(',').map((item) => item.trim())) {
    if (part === '') continue;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(part) || !DateTime.fromISO(part).isValid) {
      throw new Error(`"${part}" is not a date written YYYY-MM-DD`);
    }
    holidays.add(part);
  }
  return holidays;
}

/** "1h", "30m", "1d", "1d4h", "1h30m": minutes, a day being `dayMinutes` (one business day). */
export function parseDuration(text: string, dayMinutes: number): number {
  const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/.exec(text.trim().toLowerCase().replace(/\s+/g, ''));
  if (!match || (match[1] ?? match[2] ?? match[3]) === undefined) {
    throw new Error(`"${text.trim()}" is not a duration such as 30m, 4h, 1d or 1d4h (d: business days)`);
  }
  const minutes = Number(match[1] ?? 0) * dayMinutes + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
  if (minutes <= 0) throw new Error(`"${text.trim()}" must be longer than nothing`);
  return minutes;
}

export interface SlaTarget {
  /** Business minutes to the first response by a technician or admin. */
  responseMinutes: number;
  /** Business minutes to closing, counted across reopens. */
  resolutionMinutes: number;
}

/** "1h/4h": the time to first response, a slash, the time to resolution. */
export function parseTarget(text: string, dayMinutes: number): SlaTarget {
  const [response, resolution, extra] = text.split('/');
  if (response === undefined || resolution === undefined || extra !== undefined) {
    throw new Error('a target is the first response and the resolution, such as 1h/4h or 4h/1d');
  }
  const target = {
    responseMinutes: parseDuration(response, dayMinutes),
    resolutionMinutes: parseDuration(resolution, dayMinutes),
  };
  if (target.resolutionMinutes < target.responseMinutes) {
    throw new TargetOrderError('the resolution target cannot be shorter than the first-response target');
  }
  return target;
}

/** parseTarget's refusal of a target whose two parts are each fine but out of order. */
export class TargetOrderError extends Error {}

/** The written form parseTarget reads a target back from ("1h/4h", "1d4h/3d"). */
export function writeTarget(target: SlaTarget, dayMinutes: number): string {
  return `${writeDuration(target.responseMinutes, dayMinutes)}/${writeDuration(target.resolutionMinutes, dayMinutes)}`;
}

function writeDuration(minutes: number, dayMinutes: number): string {
  const whole = Math.round(minutes);
  const days = Math.floor(whole / dayMinutes);
  const hours = Math.floor((whole - days * dayMinutes) / 60);
  const rest = whole - days * dayMinutes - hours * 60;
  return `${days ? `${days}d` : ''}${hours ? `${hours}h` : ''}${rest ? `${rest}m` : ''}` || '0m';
}

export function calendarOf(settings: {
  timeZone: string;
  workingDays: string;
  workingHours: string;
  holidays: string;
}): BusinessCalendar {
  return {
    timeZone: settings.timeZone,
    workingDays: parseWorkingDays(settings.workingDays),
    ...parseWorkingHours(settings.workingHours),
    holidays: parseHolidays(settings.holidays),
  };
}
