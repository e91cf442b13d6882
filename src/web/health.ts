import { Router } from 'express';
import type { Database } from '../db/index.js';
import type { Logger } from '../logger.js';

/** How long /readyz waits for the database's answer before saying not ready. */
export const READY_CHECK_MS = 2_000;

/**
 * /healthz: the process answers. /readyz: it can also reach its database, and is not shutting
 * down (`app.locals.stopping`, set by stop()): a load balancer stops sending it new work. Both
 * are open to anyone, so they say only ready or not; why goes to the log, once per change.
 */
export function healthRoutes(db: Database, logger: Logger): Router {
  const router = Router();
  let lastProblem: string | undefined;
  const report = (problem: string | undefined, error?: unknown) => {
    if (problem === lastProblem) return;
    if (problem) logger.warn({ err: error, reason: problem }, 'not ready');
    else logger.info('ready again');
    lastProblem = problem;
  };
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (req.app.locals.stopping === true) {
      report('stopping');
      res.status(503).json({ status: 'not ready' });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      // A database that does not answer (unreachable, every connection busy) is not ready either:
      // the probe gets its 503 within READY_CHECK_MS instead of waiting for the pool's timeouts.
      await Promise.race([
        db.sequelize.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${READY_CHECK_MS} ms`)),
            READY_CHECK_MS,
          );
        }),
      ]);
      report(undefined);
      res.json({ status: 'ready' });
    } catch (error) {
      report(`database: ${(error as Error).message}`, error);
      res.status(503).json({ status: 'not ready' });
    } finally {
      clearTimeout(timer);
    }
  });
  return router;
}
