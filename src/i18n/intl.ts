// Dates and numbers, by Intl, the same way on the status page and in the emails. Building an Intl
// formatter costs far more than using one: each is built once per language and zone.

/** A time zone Intl knows (an IANA name such as Europe/Paris); a name past 64 characters is none. */
export function isTimeZone(zone: string): boolean {
  if (zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const dateTimes = new Map<string, Intl.DateTimeFormat>();

/** "26 Nov 2026, 15:02" (en-GB), "26 nov. 2026, 15:02" (fr-FR): medium date, short time, in `timeZone`. */
export function dateTimeFormat(dateLocale: string, timeZone: string): Intl.DateTimeFormat {
  const key = `${dateLocale}|${timeZone}`;
  let format = dateTimes.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(dateLocale, { timeZone, dateStyle: 'medium', timeStyle: 'short' });
    dateTimes.set(key, format);
  }
  return format;
}

const numbers = new Map<string, Intl.NumberFormat>();

/** A number with exactly `fractionDigits` decimals, grouped as `language` writes it. */
export function formatNumber(language: string, value: number, fractionDigits = 0): string {
  const key = `${language}|${fractionDigits}`;
  let format = numbers.get(key);
  if (!format) {
    format = new Intl.NumberFormat(language, {
      minimumFractionDigits: fractionDigits,
      maximumFractionDigits: fractionDigits,
    });
    numbers.set(key, format);
  }
  return format.format(value);
}

const relatives = new Map<string, Intl.RelativeTimeFormat>();

const AGE_UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
];

/** "3 days ago", "il y a 5 h", "vor 5 Std.": how long ago, short. */
export function formatAge(language: string, date: Date, now: Date = new Date()): string {
  let relative = relatives.get(language);
  if (!relative) {
    relative = new Intl.RelativeTimeFormat(language, { numeric: 'always', style: 'short' });
    relatives.set(language, relative);
  }
  const seconds = Math.max(0, (now.getTime() - date.getTime()) / 1000);
  for (const [unit, size] of AGE_UNITS) {
    if (seconds >= size) return relative.format(-Math.floor(seconds / size), unit);
  }
  return relative.format(0, 'minute');
}
