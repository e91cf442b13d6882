import type { RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/index.js';
import { OUTBOX_STATUSES } from '../db/models/emailOutbox.js';
import { STATUSES } from '../db/models/ticket.js';
import type { Logger } from '../logger.js';
import { select } from './status/rows.js';

// Prometheus metrics, one Registry per app (no global state for tests to reset). Ticket and
// outbox figures are read from the database at scrape time, so every replica reports the same
// truth; the email counters count what this process sent.

export interface WebMetrics {
  registry: Registry;
  /** Times every request by route pattern (never the raw URL: ids would explode the series). */
  measureRequests: RequestHandler;
  handler: RequestHandler;
  /** For the mail drain to report each delivery outcome. */
  emails: { sent(): void; failed(permanent: boolean): void; skipped(): void };
}

export function createWebMetrics(db: Database, logger: Logger): WebMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ticketbot_' });

  const httpDuration = new Histogram({
    name: 'ticketbot_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by route pattern',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  /** A gauge of a table's rows by status, counted at each scrape; every known status shows, 0 included. */
  const rowsByStatus = (
    name: string,
    help: string,
    table: 'tickets' | 'email_outbox',
    statuses: readonly string[],
    what: string,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['status'] as const,
      registers: [registry],
      async collect() {
        try {
          const rows = await select<{ status: string; n: number }>(
            db,
            `SELECT status, COUNT(*) AS n FROM ${table} GROUP BY status`,
          );
          this.reset();
          for (const status of statuses) this.set({ status }, 0);
          for (const row of rows) this.set({ status: row.status }, Number(row.n));
        } catch (error) {
          logger.warn({ err: error }, `metrics: could not count ${what}`);
        }
      },
    });
  rowsByStatus('ticketbot_tickets', 'Tickets by status', 'tickets', STATUSES, 'tickets');
  rowsByStatus(
    'ticketbot_email_outbox',
    'Emails in the outbox by status (pending and sending are the queue depth; skipped: no address in Slack)',
    'email_outbox',
    OUTBOX_STATUSES,
    'the outbox',
  );

  const sent = new Counter({
    name: 'ticketbot_emails_sent_total',
    help: 'Emails this process handed to the SMTP server',
    registers: [registry],
  });
  const failed = new Counter({
    name: 'ticketbot_emails_failed_total',
    help: 'Failed email deliveries by this process: retry (will try again), dead (gave up) or skipped (no address in Slack)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  failed.inc({ outcome: 'retry' }, 0);
  failed.inc({ outcome: 'dead' }, 0);
  failed.inc({ outcome: 'skipped' }, 0);

  const measureRequests: RequestHandler = (req, res, next) => {
    const end = httpDuration.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ method: req.method, route, status_code: String(res.statusCode) });
    });
    next();
  };

  const handler: RequestHandler = async (_req, res, next) => {
    try {
      const body = await registry.metrics();
      res.set('Content-Type', registry.contentType).set('Cache-Control', 'no-store').send(body);
    } catch (error) {
      next(error);
    }
  };

  return {
    registry,
    measureRequests,
    handler,
    emails: {
      sent: () => sent.inc(),
      failed: (permanent) => failed.inc({ outcome: permanent ? 'dead' : 'retry' }),
      skipped: () => failed.inc({ outcome: 'skipped' }),
    },
  };
}
