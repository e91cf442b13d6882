import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import type { Logger } from '../logger.js';
import { healthRoutes } from './health.js';

export interface WebDeps {
  config: Config;
  db: Database;
  logger: Logger;
}

/** The Express app that serves everything but Slack's endpoint (Bolt adds that to the same app). */
export function createWebApp(deps: WebDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(healthRoutes(deps.db));
  return app;
}

/** The last catch: log it, answer 500 without internals. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    logger.error({ err: error, path: req.path }, 'request failed');
    if (res.headersSent) return next(error);
    res.status(500).json({ error: 'internal_error' });
  };
}
