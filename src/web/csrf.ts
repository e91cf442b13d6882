import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { readCookie } from './viewer.js';

// Browsers resend Basic credentials on their own, so a form post needs proof it came from our
// page: a random token in a SameSite=Strict cookie that the form repeats (double submit). It
// needs no server state, so it works across replicas.

export const CSRF_COOKIE = 'ticketbot_csrf';
export const CSRF_FIELD = '_csrf';

/** Makes sure the visitor has a token; templates put `csrfToken` in every form. */
export function issueCsrfToken(options: { secure: boolean }): RequestHandler {
  return (req, res, next) => {
    let token = readCookie(req.headers.cookie, CSRF_COOKIE);
    if (!token || !/^[A-Za-z0-9_-]{32,64}$/.test(token)) {
      token = randomBytes(24).toString('base64url');
      res.cookie(CSRF_COOKIE, token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: options.secure,
        path: '/',
      });
    }
    res.locals.csrfToken = token;
    next();
  };
}

export function isValidCsrf(cookieHeader: string | undefined, submitted: unknown): boolean {
  const expected = readCookie(cookieHeader, CSRF_COOKIE);
  if (!expected || typeof submitted !== 'string' || submitted.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(submitted), Buffer.from(expected));
}
