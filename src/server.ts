import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Config, isLoopbackHost } from './config.js';
import { createDatabase, type Database } from './db/index.js';
import { migrateUp } from './db/migrate.js';
import { loadTexts, type Texts } from './i18n/index.js';
import { type Logger, redactUrl } from './logger.js';
import {
  type NotificationsHandle,
  PendingAddressBook,
  type RetryPolicy,
  startNotifications,
  storedAddressBook,
} from './notifications/index.js';
import { createScheduler } from './scheduler/index.js';
import { type SlackHandle, startSlack } from './slack/index.js';
import type { OutboxRetry } from './slack/outbox.js';
import { startupSummary } from './startupSummary.js';
import { createTicketHooks, runSlaAlerts, seedRoster, type TicketServices } from './tickets/index.js';
import { createWebApp, errorHandler } from './web/app.js';
import type { WebMetrics } from './web/metrics.js';

export interface Ticketbot {
  url: string;
  db: Database;
  services: TicketServices;
  /** The Slack side, when Slack is configured. */
  slack: SlackHandle | undefined;
  /** The email side: the outbox, its drain and the digest. */
  notifications: NotificationsHandle;
  /** Stops taking work, lets in-flight work finish, closes the database. */
  stop(): Promise<void>;
}

/** What the environment does not set: the tests' hold on timing. */
export interface StartOptions {
  /** How often interrupted card postings are looked for (ms; 0: only when asked, as tests do). */
  cardCatchUpMs?: number;
  /**
   * Whether the inbox's heartbeat and catch-up run on their timer (false: only when asked through
   * catchUpInbox(), as tests do).
   */
  inboxTimer?: boolean;
  /** Backoff of emails that could not be sent (tests shorten it). */
  emailRetry?: RetryPolicy;
  /** How long a Slack Web API request may take once sent (tests shorten it; 20 s otherwise). */
  slackRequestTimeoutMs?: number;
  /** Backoff of work owed to Slack that Slack failed (tests shorten it). */
  outboxRetry?: OutboxRetry;
  /** How long a submission answered "making sure" is tried before it is given back (tests shorten it). */
  unsureSettleMs?: number;
}

/**
 * Without a sign-in the page answers "this machine". A PUBLIC_URL elsewhere means people reach
 * ticketbot through something on this machine (a reverse proxy, a tunnel, a mesh sidecar), and
 * a proxy that passes requests on unchanged cannot be told from a local browser: refuse to start
 * rather than open the page to whoever reaches that address. (HOST beyond loopback is refused
 * with the configuration's other problems, in src/config.ts.)
 */
function refuseOpenExposure(config: Config): void {
  if (config.signIn.mode !== 'loopback') return;
  const host = new URL(config.publicUrl).hostname;
  if (isLoopbackHost(host)) return;
  throw new Error(
    `PUBLIC_URL (${config.publicUrl}) is not on this machine, but no sign-in is set up, so whoever reaches that address would get in: set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (Sign in with Slack) or STATUS_PAGE_USER and STATUS_PAGE_PASSWORD; see "Security" in README.md`,
  );
}

/**
 * Every text in every language, checked before anything else starts: a broken file in LOCALES_DIR
 * stops start-up (TextsError, naming it); a language that lacks texts says which, and shows them in English.
 */
function startTexts(config: Config, logger: Logger): Texts {
  const texts = loadTexts({ localesDir: config.localesDir });
  for (const warning of texts.warnings) logger.warn({ localesDir: config.localesDir }, `texts: ${warning}`);
  if (texts.overridden.length > 0)
    logger.info({ localesDir: config.localesDir, files: texts.overridden }, 'texts overridden');
  return texts;
}

/** The composition root: config → texts → database → ticket services → web (and Slack) → listening. */
export async function startTicketbot(
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<Ticketbot> {
  const texts = startTexts(config, logger);
  const db = createDatabase(config.databaseUrl, { logger });
  logger.debug(
    { database: redactUrl(config.databaseUrl), dialect: db.dialect },
    'connecting to the database',
  );
  let applied: string[];
  try {
    await db.sequelize.authenticate();
    if (db.dialect === 'sqlite') await db.sequelize.query('PRAGMA journal_mode = WAL');
    applied = await migrateUp(db, logger);
    await seedRoster(db, config.roster);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }

  const services: TicketServices = { db, hooks: createTicketHooks(), logger, sla: config.sla };
  // Slack names the workspace (auth.test) once connected; sign-ins are checked against it.
  const workspace: { teamId: string | undefined } = { teamId: undefined };
  // The page's priority form acts through the same services, so Slack's hooks (registered below,
  // before anything listens) redraw the card after a change made there.
  const app = createWebApp({ config, db, logger, texts, workspace, tickets: services });

  // Each part registers its hooks on `services` before anything can change a ticket.
  const metrics = app.locals.metrics as WebMetrics;
  let notifications: NotificationsHandle | undefined;
  let slack: SlackHandle | undefined;
  // Notifications start first (their hooks must be in place before Slack can change a ticket),
  // but their address book is Slack's: a drain that starts meanwhile waits for it.
  const addressBook = new PendingAddressBook();
  try {
    notifications = await startNotifications(
      { config, texts, services, logger, addressBook },
      { outcomes: metrics.emails, retry: options.emailRetry },
    );
    slack = await startSlack({
      config,
      texts,
      app,
      services,
      logger,
      cardCatchUpMs: options.cardCatchUpMs,
      inboxTimer: options.inboxTimer,
      slackRequestTimeoutMs: options.slackRequestTimeoutMs,
      outboxRetry: options.outboxRetry,
      unsureSettleMs: options.unsureSettleMs,
    });
    addressBook.use(slack?.addressBook ?? storedAddressBook(db));
  } catch (error) {
    addressBook.abandon('ticketbot stopped before Slack was connected');
    await notifications?.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw error;
  }

  workspace.teamId = slack?.teamId;
  if (config.signIn.mode === 'slack' && !workspace.teamId) {
    logger.error(
      'Sign in with Slack is set up, but Slack did not say which workspace this is (auth.test): nobody can sign in',
    );
  }

  app.use(errorHandler(logger));
  let server: Server;
  try {
    refuseOpenExposure(config);
    server = app.listen(config.port, config.host);
    await once(server, 'listening');
  } catch (error) {
    await slack?.stop().catch(() => undefined);
    await notifications?.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw error;
  }
  // Service-level warnings and breaches (src/tickets/slaAlerts.ts), looked for on SLA_JOB_SCHEDULE
  // (every minute by default) in every replica: each is claimed by a unique row, so it is raised once whichever replica comes first.
  const jobs = createScheduler(logger);
  if (services.sla)
    jobs.every('sla-alerts', config.slaJobCron, async () => void (await runSlaAlerts(services)));
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const facts = {
    config,
    url,
    slack,
    mailer: notifications.mailer,
    database: { dialect: db.dialect, applied },
  };
  for (const { msg, startup } of startupSummary(facts)) logger.info({ startup }, msg);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down');
      app.locals.stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await (app.locals.stopBackground as () => Promise<void>)();
      await jobs.stop();
      await slack?.stop();
      await notifications?.stop();
      await db.close();
      logger.info('stopped');
    })();
    return stopping;
  };
  return { url, db, services, slack, notifications: notifications!, stop };
}
