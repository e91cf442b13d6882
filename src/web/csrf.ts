import { hkdfSync, randomBytes } from 'node:crypto';
import { doubleCsrf } from 'csrf-csrf';
import type { Request, Response } from 'express';
import type { SignIn } from '../config.js';
import { accessOf } from './access.js';

// A form post must prove it came from our own page: a token signed with the server's key and tied
// to who is signed in (the session's key, or the shared Basic/loopback identity), repeated in a
// cookie and in the form (csrf-csrf). A token from another session, or one made up, is refused.
// Every replica derives the same key from the secret it already holds, so any of them accepts
// a form another one rendered.

export const CSRF_FIELD = '_csrf';

export interface Csrf {
  /** The token for this visitor's forms (sets its cookie). Call once access is known. */
  token(req: Request, res: Response): string;
  /** Whether a form post carries a valid token for this visitor. */
  valid(req: Request): boolean;
}

/** The signing key: from a secret every replica shares, or random when there is none (loopback only). */
export function csrfSecret(signIn: SignIn): Buffer {
  const shared =
    signIn.mode === 'slack' ? signIn.clientSecret : signIn.mode === 'basic' ? signIn.password : undefined;
  if (!shared) return randomBytes(32);
  return Buffer.from(hkdfSync('sha256', shared, 'ticketbot', 'status page csrf tokens', 32));
}

export function createCsrf(options: { secret: Buffer; secure: boolean }): Csrf {
  const { generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => options.secret.toString('hex'),
    getSessionIdentifier: (req) => (req.res ? (accessOf(req.res)?.csrfKey ?? '') : ''),
    cookieName: options.secure ? '__Host-ticketbot_csrf' : 'ticketbot_csrf',
    cookieOptions: { sameSite: 'strict', secure: options.secure, httpOnly: true, path: '/' },
    getCsrfTokenFromRequest: (req) => {
      const value = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
      return typeof value === 'string' ? value : undefined;
    },
  });
  return {
    token: (req, res) => generateCsrfToken(req, res),
    valid: (req) => validateRequest(req),
  };
}
