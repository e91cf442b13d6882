import type { RequestHandler } from 'express';
import type { Language, PageTranslate, Texts } from '../i18n/index.js';
import { dateTimeFormat, formatAge, formatNumber, isTimeZone } from '../i18n/intl.js';

// Who is looking: their language (Accept-Language) and time zone. The zone comes from a `tz`
// cookie that status.js sets from the browser, or from the zone form (works without JavaScript);
// until then times are in UTC and the page says so.

export const TIME_ZONE_COOKIE = 'tz';

export interface Viewer {
  language: Language;
  timeZone: string;
  /** The locale dates are written in (`common.json` `date.locale`). */
  dateLocale: string;
  t: PageTranslate;
  /** "26 Nov 2026, 15:02" in the viewer's zone and language. */
  formatTime(date: Date): string;
  /** "3 days", "5 h": how long ago, short. */
  formatAge(date: Date, now?: Date): string;
  formatNumber(value: number, fractionDigits?: number): string;
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

export function createViewer(texts: Texts, language: Language, timeZone: string): Viewer {
  const dateLocale = texts.dateLocale(language);
  const dateTime = dateTimeFormat(dateLocale, timeZone);
  return {
    language,
    timeZone,
    dateLocale,
    t: texts.page(language),
    formatTime: (date) => dateTime.format(date),
    formatAge: (date, now) => formatAge(language, date, now),
    formatNumber: (value, fractionDigits) => formatNumber(language, value, fractionDigits),
  };
}

/** Puts `viewer`, `t` and the helpers on res.locals for the templates. */
export function viewerMiddleware(texts: Texts): RequestHandler {
  return (req, res, next) => {
    const fromCookie = readCookie(req.headers.cookie, TIME_ZONE_COOKIE);
    const language = texts.languageFromHeader(req.headers['accept-language']);
    const viewer = createViewer(texts, language, fromCookie && isTimeZone(fromCookie) ? fromCookie : 'UTC');
    res.locals.viewer = viewer;
    res.locals.t = viewer.t;
    res.locals.lang = viewer.language;
    // Where the time-zone form sends the viewer back to.
    res.locals.currentPath = req.originalUrl;
    next();
  };
}
