import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { createDatabase, type Database } from './db/index.js';
import { migrateUp } from './db/migrate.js';
import { type Logger, redactUrl } from './logger.js';
import {
  type NotificationsHandle,
  PendingAddressBook,
  type RetryPolicy,
  startNotifications,
  storedAddressBook,
} from './notifications/index.js';
import { type SlackHandle, startSlack } from './slack/index.js';
import { createTicketHooks, seedRoster, type TicketServices } from './tickets/index.js';
import { createWebApp, errorHandler } from './web/app.js';
import type { WebMetrics } from './web/metrics.js';

export interface Ticketbot {
  url: string;
  db: Database;
  services: TicketServices;
  /** The Slack side, when Slack is configured. */
  slack: SlackHandle | undefined;
  /** Stops taking work, lets in-flight work finish, closes the database. */
  stop(): Promise<void>;
}

/** What the environment does not set: the tests' hold on timing. */
export interface StartOptions {
  /** How often interrupted card postings are looked for (ms; 0: only when asked, as tests do). */
  cardCatchUpMs?: number;
  /** Backoff of emails that could not be sent (tests shorten it). */
  emailRetry?: RetryPolicy;
}

/** The composition root: config → database → ticket services → web (and Slack) → listening. */
export async function startTicketbot(
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<Ticketbot> {
  const db = createDatabase(config.databaseUrl, { logger });
  logger.info({ database: redactUrl(config.databaseUrl), dialect: db.dialect }, 'connecting to the database');
  try {
    await db.sequelize.authenticate();
    if (db.dialect === 'sqlite') await db.sequelize.query('PRAGMA journal_mode = WAL');
    const applied = await migrateUp(db, logger);
    if (applied.length > 0) logger.info({ applied }, 'database migrated');
    await seedRoster(db, config.roster);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }

  const services: TicketServices = { db, hooks: createTicketHooks(), logger };
  const app = createWebApp({ config, db, logger });

  // Each part registers its hooks on `services` before anything can change a ticket.
  const metrics = app.locals.metrics as WebMetrics;
  let notifications: NotificationsHandle | undefined;
  let slack: SlackHandle | undefined;
  // Notifications start first (their hooks must be in place before Slack can change a ticket),
  // but their address book is Slack's: a drain that starts meanwhile waits for it.
  const addressBook = new PendingAddressBook();
  try {
    notifications = await startNotifications(
      { config, services, logger, addressBook },
      { outcomes: metrics.emails, retry: options.emailRetry },
    );
    slack = await startSlack({ config, app, services, logger, cardCatchUpMs: options.cardCatchUpMs });
    addressBook.use(slack?.addressBook ?? storedAddressBook(db));
  } catch (error) {
    addressBook.abandon('ticketbot stopped before Slack was connected');
    await notifications?.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw error;
  }

  app.use(errorHandler(logger));
  const server: Server = app.listen(config.port);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://localhost:${port}`;
  logger.info({ url }, 'ticketbot is listening');

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down');
      app.locals.stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await slack?.stop();
      await notifications?.stop();
      await db.close();
      logger.info('stopped');
    })();
    return stopping;
  };
  return { url, db, services, slack, stop };
}
