import { Router } from 'express';
import type { Database } from '../db/index.js';
import type { Logger } from '../logger.js';

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
    try {
      await db.sequelize.query('SELECT 1');
      report(undefined);
      res.json({ status: 'ready' });
    } catch (error) {
      report(`database: ${(error as Error).message}`, error);
      res.status(503).json({ status: 'not ready' });
    }
  });
  return router;
}
