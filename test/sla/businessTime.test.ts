import { describe, expect, it } from 'vitest';
import {
  addBusinessMinutes,
  type BusinessCalendar,
  businessDayMinutes,
  businessMinutesBetween,
  isBusinessTime,
} from '../../src/sla/businessTime.js';
import {
  calendarOf,
  parseDuration,
  parseHolidays,
  parseTarget,
  parseWorkingDays,
  parseWorkingHours,
} from '../../src/sla/settings.js';

// Fixed instants only: every expectation is an ISO instant in UTC, worked out by hand from the
// zone's offset that day (Paris is UTC+1 in winter, UTC+2 in summer; New York UTC-5 / UTC-4).

const at = (iso: string) => new Date(iso);
const iso = (date: Date) => date.toISOString();

function calendar(timeZone: string, extra: Partial<Parameters<typeof calendarOf>[0]> = {}): BusinessCalendar {
  return calendarOf({
    timeZone,
    workingDays: 'Mon-Fri',
    workingHours: '09:00-17:00',
    holidays: '',
    ...extra,
  });
}

describe('adding business minutes', () => {
  const utc = calendar('UTC');

  it('adds within one working day', () => {
    // Thursday 2026-12-03 10:00 UTC + 90 min.
    expect(iso(addBusinessMinutes(utc, at('2026-12-03T10:00:00Z'), 90))).toBe('2026-12-03T11:30:00.000Z');
  });

  it('starts counting at the opening when the clock starts before it', () => {
    expect(iso(addBusinessMinutes(utc, at('2026-12-03T06:15:00Z'), 60))).toBe('2026-12-03T10:00:00.000Z');
  });

  it('runs out at the closing time itself, not the next morning', () => {
    expect(iso(addBusinessMinutes(utc, at('2026-12-03T16:00:00Z'), 60))).toBe('2026-12-03T17:00:00.000Z');
  });

  it('carries over the night into the next working day', () => {
    expect(iso(addBusinessMinutes(utc, at('2026-12-03T16:00:00Z'), 120))).toBe('2026-12-04T10:00:00.000Z');
  });

  it('skips the weekend', () => {
    // Friday 2026-12-04 15:00 + 4 h: 2 h on Friday, 2 h on Monday 2026-12-07.
    expect(iso(addBusinessMinutes(utc, at('2026-12-04T15:00:00Z'), 240))).toBe('2026-12-07T11:00:00.000Z');
    // Opened on Saturday: the clock starts on Monday morning.
    expect(iso(addBusinessMinutes(utc, at('2026-12-05T12:00:00Z'), 30))).toBe('2026-12-07T09:30:00.000Z');
  });

  it('skips holidays', () => {
    const withHolidays = calendar('UTC', { holidays: '2026-12-24, 2026-12-25' });
    // Wednesday 23rd 16:00 + 2 h: 1 h on the 23rd, then Thu 24 and Fri 25 are off, the weekend,
    // so the second hour is Monday 28th 09:00-10:00.
    expect(iso(addBusinessMinutes(withHolidays, at('2026-12-23T16:00:00Z'), 120))).toBe(
      '2026-12-28T10:00:00.000Z',
    );
  });

  it('counts business days as working days of the working hours’ length', () => {
    expect(businessDayMinutes(utc)).toBe(480);
    // 3 business days from Wednesday 10:00 is the next Monday 10:00.
    expect(iso(addBusinessMinutes(utc, at('2026-12-02T10:00:00Z'), 3 * 480))).toBe(
      '2026-12-07T10:00:00.000Z',
    );
  });

  it('adds nothing as the instant itself, even outside working hours', () => {
    expect(iso(addBusinessMinutes(utc, at('2026-12-05T12:00:00Z'), 0))).toBe('2026-12-05T12:00:00.000Z');
  });

  it('refuses a negative amount', () => {
    expect(() => addBusinessMinutes(utc, at('2026-12-05T12:00:00Z'), -1)).toThrow(RangeError);
  });

  it('works in the calendar’s time zone, not UTC', () => {
    const paris = calendar('Europe/Paris');
    // 2026-12-03 07:30 UTC is 08:30 in Paris (UTC+1): the day opens at 09:00 Paris = 08:00 UTC.
    expect(iso(addBusinessMinutes(paris, at('2026-12-03T07:30:00Z'), 60))).toBe('2026-12-03T09:00:00.000Z');
    const newYork = calendar('America/New_York');
    // 2026-12-03 21:00 UTC is 16:00 in New York (UTC-5): 1 h left today, then from 09:00 NY
    // (14:00 UTC) on Friday.
    expect(iso(addBusinessMinutes(newYork, at('2026-12-03T21:00:00Z'), 120))).toBe(
      '2026-12-04T15:00:00.000Z',
    );
  });

  it('uses the local weekday: Monday morning in Tokyo is still Sunday in UTC', () => {
    const tokyo = calendar('Asia/Tokyo');
    // Sunday 2026-12-06 23:30 UTC is Monday 08:30 in Tokyo (UTC+9): the day opens at 09:00
    // Tokyo = 00:00 UTC, so 30 min later is 00:30 UTC.
    expect(iso(addBusinessMinutes(tokyo, at('2026-12-06T23:30:00Z'), 30))).toBe('2026-12-07T00:30:00.000Z');
    // Friday 16:30 in New York (UTC-5) = 21:30 UTC; 60 min: 30 on Friday, 30 on Monday from
    // 09:00 NY = 14:00 UTC.
    const newYork = calendar('America/New_York');
    expect(iso(addBusinessMinutes(newYork, at('2026-12-04T21:30:00Z'), 60))).toBe('2026-12-07T14:30:00.000Z');
  });

  it('follows the wall clock over the spring daylight-saving change (Paris, 29 March 2026)', () => {
    const paris = calendar('Europe/Paris', { workingDays: 'Mon-Sun' });
    // Saturday 28 March 16:00 Paris (UTC+1) = 15:00 UTC. +2 h: 1 h on Saturday, then Sunday
    // 29 March opens at 09:00 Paris, now UTC+2 = 07:00 UTC, so 1 h later is 08:00 UTC.
    expect(iso(addBusinessMinutes(paris, at('2026-03-28T15:00:00Z'), 120))).toBe('2026-03-29T08:00:00.000Z');
  });

  it('follows the wall clock over the autumn change (Paris, 25 October 2026)', () => {
    const paris = calendar('Europe/Paris', { workingDays: 'Mon-Sun' });
    // Saturday 24 Oct 16:00 Paris (UTC+2) = 14:00 UTC; Sunday opens 09:00 Paris (UTC+1) = 08:00 UTC.
    expect(iso(addBusinessMinutes(paris, at('2026-10-24T14:00:00Z'), 120))).toBe('2026-10-25T09:00:00.000Z');
  });

  it('follows New York’s change on its own date (8 March 2026), not Europe’s', () => {
    const newYork = calendar('America/New_York');
    // Friday 6 March 16:00 NY (UTC-5) = 21:00 UTC. +2 h: 1 h Friday, then Monday 9 March opens at
    // 09:00 NY, now UTC-4 = 13:00 UTC, so the second hour ends at 14:00 UTC.
    expect(iso(addBusinessMinutes(newYork, at('2026-03-06T21:00:00Z'), 120))).toBe(
      '2026-03-09T14:00:00.000Z',
    );
  });

  it('counts the real length of a window that spans the change itself', () => {
    // Working 00:00-06:00 in Paris on 29 March 2026: 02:00-03:00 does not exist, so 5 hours.
    const night = calendar('Europe/Paris', { workingDays: 'Mon-Sun', workingHours: '00:00-06:00' });
    // Midnight Paris (UTC+1) = 28 March 23:00 UTC; 06:00 Paris (UTC+2) = 04:00 UTC.
    expect(businessMinutesBetween(night, at('2026-03-28T23:00:00Z'), at('2026-03-29T04:00:00Z'))).toBe(300);
    // 5 h reach the end of that window; 6 h carry into the next night.
    expect(iso(addBusinessMinutes(night, at('2026-03-28T23:00:00Z'), 300))).toBe('2026-03-29T04:00:00.000Z');
    expect(iso(addBusinessMinutes(night, at('2026-03-28T23:00:00Z'), 360))).toBe('2026-03-29T23:00:00.000Z');
  });

  it('allows working hours up to midnight', () => {
    const late = calendar('UTC', { workingHours: '18:00-24:00' });
    expect(iso(addBusinessMinutes(late, at('2026-12-03T23:00:00Z'), 120))).toBe('2026-12-04T19:00:00.000Z');
  });

  it('honours working days such as Sun-Thu', () => {
    const sunThu = calendar('Asia/Jerusalem', { workingDays: 'Sun-Thu' });
    // Thursday 2026-12-03 16:00 Jerusalem (UTC+2) = 14:00 UTC; +2 h: 1 h Thursday, then Sunday
    // 6 Dec 09:00 Jerusalem = 07:00 UTC, so 08:00 UTC.
    expect(iso(addBusinessMinutes(sunThu, at('2026-12-03T14:00:00Z'), 120))).toBe('2026-12-06T08:00:00.000Z');
  });
});

describe('business minutes between two instants', () => {
  const utc = calendar('UTC', { holidays: '2026-12-25' });

  it('counts only working time', () => {
    // Friday 16:00 to Monday 10:00: 1 h + 1 h.
    expect(businessMinutesBetween(utc, at('2026-12-04T16:00:00Z'), at('2026-12-07T10:00:00Z'))).toBe(120);
  });

  it('is zero inside a closed period, and negative backwards', () => {
    expect(businessMinutesBetween(utc, at('2026-12-05T08:00:00Z'), at('2026-12-06T20:00:00Z'))).toBe(0);
    expect(businessMinutesBetween(utc, at('2026-12-07T10:00:00Z'), at('2026-12-04T16:00:00Z'))).toBe(-120);
  });

  it('leaves holidays out', () => {
    // Thursday 24th 16:00 to Monday 28th 10:00: 1 h on the 24th, Friday 25th off, 1 h on Monday.
    expect(businessMinutesBetween(utc, at('2026-12-24T16:00:00Z'), at('2026-12-28T10:00:00Z'))).toBe(120);
  });

  it('is the inverse of adding, across a DST change', () => {
    const paris = calendar('Europe/Paris', { holidays: '2026-11-11' });
    const start = at('2026-10-22T13:17:00Z');
    for (const minutes of [1, 59, 480, 1000, 2400, 4321]) {
      const due = addBusinessMinutes(paris, start, minutes);
      expect(businessMinutesBetween(paris, start, due)).toBeCloseTo(minutes, 6);
    }
  });

  it('keeps fractions of a minute', () => {
    expect(businessMinutesBetween(utc, at('2026-12-03T10:00:00Z'), at('2026-12-03T10:00:30Z'))).toBe(0.5);
  });
});

describe('whether an instant is business time', () => {
  it('looks at the local day and hours', () => {
    const newYork = calendar('America/New_York');
    expect(isBusinessTime(newYork, at('2026-12-03T14:00:00Z'))).toBe(true); // 09:00 NY
    expect(isBusinessTime(newYork, at('2026-12-03T13:59:00Z'))).toBe(false);
    expect(isBusinessTime(newYork, at('2026-12-03T22:00:00Z'))).toBe(false); // 17:00 NY: closed
  });
});

describe('reading the SLA settings', () => {
  it('reads working days, with ranges that wrap past Sunday', () => {
    expect([...parseWorkingDays('Mon-Fri')]).toEqual([1, 2, 3, 4, 5]);
    expect([...parseWorkingDays('mon, wed,Fri')]).toEqual([1, 3, 5]);
    expect([...parseWorkingDays('Fri-Mon')].sort()).toEqual([1, 5, 6, 7]);
    expect(() => parseWorkingDays('Mon-Fry')).toThrow(/"Fry" is not a weekday/);
    expect(() => parseWorkingDays('')).toThrow(/at least one working day/);
  });

  it('reads working hours', () => {
    expect(parseWorkingHours('09:00-17:30')).toEqual({ startMinute: 540, endMinute: 1050 });
    expect(parseWorkingHours('00:00-24:00')).toEqual({ startMinute: 0, endMinute: 1440 });
    expect(() => parseWorkingHours('17:00-09:00')).toThrow(/start before they end/);
    expect(() => parseWorkingHours('9-5')).toThrow(/not a time of day/);
    expect(() => parseWorkingHours('09:60-17:00')).toThrow(/not a time of day/);
  });

  it('reads holidays', () => {
    expect([...parseHolidays('2026-12-25, 2027-01-01')]).toEqual(['2026-12-25', '2027-01-01']);
    expect(() => parseHolidays('2026-02-30')).toThrow(/"2026-02-30" is not a date/);
    expect(() => parseHolidays('25/12/2026')).toThrow(/not a date/);
  });

  it('reads durations and targets, a day being one business day', () => {
    expect(parseDuration('30m', 480)).toBe(30);
    expect(parseDuration('1d4h', 480)).toBe(720);
    expect(parseDuration('1h30m', 480)).toBe(90);
    expect(parseTarget('4h/1d', 450)).toEqual({ responseMinutes: 240, resolutionMinutes: 450 });
    expect(() => parseDuration('1 week', 480)).toThrow(/not a duration/);
    expect(() => parseDuration('0h', 480)).toThrow(/longer than nothing/);
    expect(() => parseTarget('4h', 480)).toThrow(/such as 1h\/4h/);
    expect(() => parseTarget('4h/1h', 480)).toThrow(/cannot be shorter/);
  });
});
