import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';

// Guessing is slowed per client (req.ip: the socket's address, or the client a TRUSTED_PROXY
// names). Only failures count: a wrong password, a wrong metrics token, a sign-in Slack did not
// confirm. The counts live in each process; with several replicas a client gets this many per
// replica it reaches, which still turns guessing from thousands a second into a few an hour.

export const FAILURE_WINDOW_MS = 15 * 60_000;
export const FAILURES_ALLOWED = 10;

export function failureLimiter(what: string, skip: (req: Parameters<RequestHandler>[0]) => boolean) {
  return rateLimit({
    windowMs: FAILURE_WINDOW_MS,
    limit: FAILURES_ALLOWED,
    skipSuccessfulRequests: true,
    skip,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Without TRUST_PROXY, X-Forwarded-For is ignored on purpose; the library need not warn.
    validate: { xForwardedForHeader: false },
    identifier: what,
    handler: (_req, res) => {
      const t = res.locals.t as ((key: string) => string) | undefined;
      res.status(429);
      if (t) res.render('error', { title: t('error.tooMany'), message: t('error.tooManyText') });
      else res.type('text/plain').send('Too many failed attempts; try again in 15 minutes.\n');
    },
  });
}
