import type { RequestHandler } from 'express';
import type { Language } from '../i18n.js';
import { languageFromHeader, type Translate, translator } from './i18n.js';

// Who is looking: their language (Accept-Language) and time zone. The zone comes from a `tz`
// cookie that status.js sets from the browser, or from the zone form (works without JavaScript);
// until then times are in UTC and the page says so.

export const TIME_ZONE_COOKIE = 'tz';

export interface Viewer {
  language: Language;
  timeZone: string;
  t: Translate;
  /** "26 Nov 2026, 15:02" in the viewer's zone and language. */
  formatTime(date: Date): string;
  /** "3 days", "5 h": how long ago, short. */
  formatAge(date: Date, now?: Date): string;
  formatNumber(value: number, fractionDigits?: number): string;
}

export function isTimeZone(zone: string): boolean {
  if (zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) {
      try {
        return decodeURIComponent(rest.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function createViewer(language: Language, timeZone: string): Viewer {
  const dateTime = new Intl.DateTimeFormat(language === 'fr' ? 'fr-FR' : 'en-GB', {
    timeZone,
    dateStyle: 'medium',
    timeStyle: 'short',
  });
  const relative = new Intl.RelativeTimeFormat(language, { numeric: 'always', style: 'short' });
  // Building an Intl formatter costs far more than using one: one per page, not one per number.
  const numberFormats = new Map<number, Intl.NumberFormat>();
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
    ['year', 365 * 86400],
    ['month', 30 * 86400],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ];
  return {
    language,
    timeZone,
    t: translator(language),
    formatTime: (date) => dateTime.format(date),
    formatAge(date, now = new Date()) {
      const seconds = Math.max(0, (now.getTime() - date.getTime()) / 1000);
      for (const [unit, size] of units) {
        if (seconds >= size) return relative.format(-Math.floor(seconds / size), unit);
      }
      return relative.format(0, 'minute');
    },
    formatNumber(value, fractionDigits = 0) {
      let format = numberFormats.get(fractionDigits);
      if (!format) {
        format = new Intl.NumberFormat(language, {
          minimumFractionDigits: fractionDigits,
          maximumFractionDigits: fractionDigits,
        });
        numberFormats.set(fractionDigits, format);
      }
      return format.format(value);
    },
  };
}

/** Puts `viewer`, `t` and the helpers on res.locals for the templates. */
export function viewerMiddleware(): RequestHandler {
  return (req, res, next) => {
    const fromCookie = readCookie(req.headers.cookie, TIME_ZONE_COOKIE);
    const language = languageFromHeader(req.headers['accept-language']);
    let viewer: Viewer;
    try {
      // An unknown zone makes Intl throw: that is the check.
      viewer = createViewer(language, fromCookie && fromCookie.length <= 64 ? fromCookie : 'UTC');
    } catch {
      viewer = createViewer(language, 'UTC');
    }
    res.locals.viewer = viewer;
    res.locals.t = viewer.t;
    res.locals.lang = viewer.language;
    // Where the time-zone form sends the viewer back to.
    res.locals.currentPath = req.originalUrl;
    next();
  };
}
