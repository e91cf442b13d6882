import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

// Who may see the status page (and /metrics): with STATUS_PAGE_PASSWORD set, whoever gives the
// user and password (Basic auth) — loopback clients too, since a reverse proxy on the same host
// would otherwise open the page to everyone. Without it, only clients on this machine.

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}

/** Equal-length digests so neither the content nor the length of the secret leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export function basicCredentials(req: Request): { user: string; password: string } | undefined {
  const header = req.headers.authorization ?? '';
  const match = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export type AccessDecision = 'allowed' | 'needs_password' | 'loopback_only';

export function decideAccess(req: Request, statusPage: Config['statusPage']): AccessDecision {
  if (statusPage.user && statusPage.password) {
    const given = basicCredentials(req);
    // Both compared every time: no early exit that tells a right user name from a wrong one.
    const userOk = sameSecret(given?.user ?? '', statusPage.user);
    const passwordOk = sameSecret(given?.password ?? '', statusPage.password);
    return given && userOk && passwordOk ? 'allowed' : 'needs_password';
  }
  // req.ip honours `trust proxy: loopback`, so a local reverse proxy's remote client is not "local".
  return isLoopback(req.ip) ? 'allowed' : 'loopback_only';
}

export function statusPageAccess(config: Config, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const decision = decideAccess(req, config.statusPage);
    if (decision === 'allowed') return next();
    const t = res.locals.t as ((key: string) => string) | undefined;
    if (decision === 'needs_password') {
      if (req.headers.authorization)
        logger.warn({ ip: req.ip, path: req.path }, 'status page: wrong user or password');
      res.set('WWW-Authenticate', 'Basic realm="ticketbot status", charset="UTF-8"');
      res
        .status(401)
        .render('error', { title: t?.('error.unauthorized'), message: t?.('error.unauthorized') });
      return;
    }
    logger.info(
      { ip: req.ip, path: req.path },
      'status page refused: not a loopback client and no password set',
    );
    res.status(403).render('error', { title: t?.('error.forbidden'), message: t?.('error.loopbackOnly') });
  };
}
