import cookieParser from 'cookie-parser';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { Config } from '../config.js';
import type { Database } from '../db/index.js';
import type { Texts } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import { accessRules, type Workspace } from './access.js';
import { createCsrf, csrfSecret } from './csrf.js';
import { healthRoutes } from './health.js';
import { createWebMetrics, type WebMetrics } from './metrics.js';
import { bootstrapCssDir, findViewsDir } from './paths.js';
import { securityHeaders } from './securityHeaders.js';
import { SessionStore } from './sessions.js';
import { slackSignInRoutes } from './slackSignIn.js';
import { statusPageRoutes } from './status/routes.js';
import type { TicketRules } from './status/ticketPriority.js';
import { viewerMiddleware } from './viewer.js';

export interface WebDeps {
  config: Config;
  db: Database;
  logger: Logger;
  texts: Texts;
  /** The workspace whose people may sign in with Slack; its team id is set once Slack answers. */
  workspace?: Workspace;
  /**
   * The ticket rules' services (the composition root's, with every part's hooks), for the ticket
   * page's priority form; without them the page changes nothing.
   */
  tickets?: TicketRules;
  /** How long the reports page may reuse its figures (default 60 s; the bench measures 0). */
  reportsTtlMs?: number;
  /** How long a viewed report is kept worked out ahead of views (default 8 h; the bench sets it). */
  reportsKeepWarmMs?: number;
}

/**
 * The Express app that serves everything but Slack's endpoint (Bolt adds that to the same app
 * later). Nothing here parses bodies or guards every path, so POST /slack/events reaches Bolt
 * untouched: the access rule sits on each status page route and on /metrics.
 */
export function createWebApp(deps: WebDeps): Express {
  const { config, db, logger } = deps;
  const workspace = deps.workspace ?? { teamId: undefined };
  const https = config.publicUrl.startsWith('https://');
  const app = express();
  app.disable('x-powered-by');
  // Only the proxies named in TRUST_PROXY may say who the client is; by default nobody.
  app.set('trust proxy', config.trustProxy.length > 0 ? config.trustProxy : false);
  app.set('views', findViewsDir());
  app.set('view engine', 'pug');
  // Compiled templates are kept except in development, where an edited view shows on reload.
  app.set('view cache', config.env !== 'development');

  const metrics = createWebMetrics(db, logger);
  app.locals.metrics = metrics satisfies WebMetrics;
  app.use(metrics.measureRequests);
  // Shutting down: each answer closes its connection. A keep-alive connection (a proxy's pool)
  // would otherwise go on bringing requests, and a ready /readyz, and hold server.close() open.
  app.locals.stopping = false;
  // What stops with the app (server.ts calls it): the reports kept warm.
  const stops: Array<() => Promise<void>> = [];
  app.locals.stopBackground = async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
  };
  app.use((req, res, next) => {
    if (req.app.locals.stopping === true) res.set('Connection', 'close');
    next();
  });
  app.use(securityHeaders({ https }));
  app.use(healthRoutes(db, logger));

  // Public: stylesheets and the small time-zone script hold nothing secret, and the 403 page needs them.
  const assets = { immutable: false, maxAge: '1h', index: false } as const;
  app.use('/assets/bootstrap', express.static(bootstrapCssDir(), assets));
  app.use('/assets', express.static(`${findViewsDir()}/assets`, assets));

  // Cookies, language and time zone are for people's browsers; Slack's requests skip them.
  app.use(exceptSlack(cookieParser()));
  app.use(exceptSlack(viewerMiddleware(deps.texts)));
  const signIn = config.signIn;
  const sessions =
    signIn.mode === 'slack'
      ? new SessionStore(db, { idleMs: signIn.sessionIdleMs, maxMs: signIn.sessionMaxMs })
      : undefined;
  const access = accessRules({ config, logger, sessions, workspace, secureCookies: https });
  const csrf = createCsrf({ secret: csrfSecret(signIn), secure: https });
  // /metrics tells ticket volumes and queue health: for Prometheus with METRICS_TOKEN (or on
  // this machine), not for people.
  app.get('/metrics', ...access.machine, metrics.handler);
  if (signIn.mode === 'slack' && sessions) {
    app.use(
      slackSignInRoutes({ config, signIn, logger, sessions, workspace, access, csrf, secureCookies: https }),
    );
  }
  app.use(
    statusPageRoutes({
      db,
      logger,
      guard: access.person,
      csrf,
      secureCookies: https,
      tickets: deps.tickets,
      reportsTtlMs: deps.reportsTtlMs,
      reportsKeepWarmMs: deps.reportsKeepWarmMs,
      onStop: (stop) => stops.push(stop),
    }),
  );
  return app;
}

/** Runs `middleware` for every request but those to Slack's endpoint (POST /slack/events). */
function exceptSlack(middleware: RequestHandler): RequestHandler {
  return (req, res, next) => (req.path.startsWith('/slack/') ? next() : middleware(req, res, next));
}

/** The last catch: log it, answer 500 without internals (a page for browsers, JSON otherwise). */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    logger.error({ err: error, path: req.path }, 'request failed');
    if (res.headersSent) return next(error);
    res.status(500);
    if (req.accepts(['json', 'html']) === 'html' && res.locals.t) {
      res.render('error', { title: '500', message: res.locals.t('error.internal') }, (renderError, html) => {
        if (renderError) res.json({ error: 'internal_error' });
        else res.send(html);
      });
      return;
    }
    res.json({ error: 'internal_error' });
  };
}
