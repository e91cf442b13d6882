import { Router } from 'express';
import type { Database } from '../db/index.js';

/** /healthz: the process answers. /readyz: it can also reach its database. */
export function healthRoutes(db: Database): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await db.sequelize.query('SELECT 1');
      res.json({ status: 'ready', database: 'ok' });
    } catch (error) {
      res.status(503).json({ status: 'unavailable', database: (error as Error).message });
    }
  });
  return router;
}
