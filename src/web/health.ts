import { Router } from 'express';
import type { Database } from '../db/index.js';

/**
 * /healthz: the process answers. /readyz: it can also reach its database, and is not shutting
 * down (`app.locals.stopping`, set by stop()): a load balancer stops sending it new work.
 */
export function healthRoutes(db: Database): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    if (req.app.locals.stopping === true) {
      res.status(503).json({ status: 'stopping' });
      return;
    }
    try {
      await db.sequelize.query('SELECT 1');
      res.json({ status: 'ready', database: 'ok' });
    } catch (error) {
      res.status(503).json({ status: 'unavailable', database: (error as Error).message });
    }
  });
  return router;
}
