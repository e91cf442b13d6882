import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Config } from '../config.js';
import type { Texts } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import { createScheduler } from '../scheduler/index.js';
import type { AddressBook } from './addressBook.js';

export type { RetryPolicy } from './failures.js';

import type { AfterCommitHook, InTransactionHook, TicketChange, TicketServices } from '../tickets/context.js';
import { runDigest } from './digestJob.js';
import { type DeliveryOutcomes, OutboxDrainer } from './drain.js';
import { enqueueForChange } from './enqueue.js';
import type { RetryPolicy } from './failures.js';
import { emlMailer, type Mailer, smtpMailer } from './mailer.js';
import { mailDomain } from './messageId.js';
import { OutboxQueue } from './queue.js';
import { purgeExpired } from './retention.js';
import { loadEmailTemplates } from './templates/index.js';
import { withdrawDeletedComment } from './withdraw.js';

export interface NotificationDeps {
  config: Config;
  texts: Texts;
  services: TicketServices;
  logger: Logger;
  /** Looks Slack users up when their emails are sent (src/server.ts wires Slack's, or the users table). */
  addressBook: AddressBook;
}

export {
  type AddressBook,
  type AddressLookup,
  PendingAddressBook,
  storedAddressBook,
} from './addressBook.js';

/** Knobs for tests and the benchmark; production uses the defaults. */
export interface NotificationOptions {
  mailer?: Mailer;
  /** Where .eml files go without SMTP_URL. */
  outboxDir?: string;
  retry?: RetryPolicy;
  batchSize?: number;
  leaseMs?: number;
  owner?: string;
  /** false: no cron jobs (tests drive drains and digests themselves). */
  schedule?: boolean;
  /** false: a commit that queued mail does not wake the drain (tests that need rows left pending). */
  wakeAfterCommit?: boolean;
  /** Told each delivery outcome (the /metrics counters). */
  outcomes?: DeliveryOutcomes;
  /** The drainer's clock (tests play a long SMTP outage with a clock they move). */
  clock?: () => number;
}

export interface NotificationsHandle {
  drainer: OutboxDrainer;
  queue: OutboxQueue;
  /** Runs the digest for a tick (what DIGEST_CRON does), then wakes the drain. */
  runDigest(scheduledAt: Date): ReturnType<typeof runDigest>;
  /** Where emails go (the start-up lines say it): an SMTP server, or a folder of .eml files. */
  mailer: Pick<Mailer, 'kind' | 'destination'>;
  stop(): Promise<void>;
}

const RETENTION_CRON = '17 * * * *';

/**
 * Email notifications (issue #4): outbox rows written in each ticket change's transaction,
 * drained by node-cron and right after a commit that queued mail; manager digests; retention.
 * Throws EmailTemplateError when EMAIL_TEMPLATES_DIR holds a broken override.
 */
export async function startNotifications(
  deps: NotificationDeps,
  options: NotificationOptions = {},
): Promise<NotificationsHandle> {
  const { config, services } = deps;
  const logger = deps.logger.child({ part: 'notifications' });
  const { db } = services;

  const templates = loadEmailTemplates({
    texts: deps.texts,
    overrideDir: config.mail.templatesDir,
    publicUrl: config.publicUrl,
  });
  for (const warning of templates.warnings)
    logger.warn({ templatesDir: config.mail.templatesDir }, `email templates: ${warning}`);
  if (templates.overridden.length > 0) {
    logger.info(
      { templatesDir: config.mail.templatesDir, files: templates.overridden },
      'email templates overridden',
    );
  }

  const outboxDir = resolve(options.outboxDir ?? 'data/outbox');
  const mailer =
    options.mailer ?? (config.mail.smtpUrl ? smtpMailer(config.mail.smtpUrl) : emlMailer(outboxDir));

  const owner =
    options.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`.slice(0, 64);
  const domain = mailDomain(config.mail.from, config.publicUrl);
  const queue = new OutboxQueue(db);
  const drainer = new OutboxDrainer({
    db,
    queue,
    mailer,
    addressBook: deps.addressBook,
    templates,
    logger,
    owner,
    from: config.mail.from,
    publicUrl: config.publicUrl,
    mailDomain: domain,
    batchSize: options.batchSize,
    leaseMs: options.leaseMs,
    retry: options.retry,
    outcomes: options.outcomes,
    clock: options.clock,
  });

  // Changes that queued mail in their transaction; the drain is woken once they commit.
  const queuedMail = new WeakSet<TicketChange>();
  const enqueueDeps = {
    db,
    mailDomain: domain,
    newTicketRecipients: config.mail.newTicketToManagers ? config.digest.managerEmails : [],
    slaBreachRecipients: config.digest.managerEmails,
  };
  const writeOutbox: InTransactionHook = async (change, transaction) => {
    if ((await enqueueForChange(enqueueDeps, change, transaction)) > 0) queuedMail.add(change);
    const withdrawn = await withdrawDeletedComment(db, change, transaction);
    if (withdrawn > 0)
      logger.info({ ticketId: change.ticket.id, withdrawn }, 'emails of a deleted comment withdrawn');
  };
  const wakeDrain: AfterCommitHook = (change) => {
    if (queuedMail.has(change) && options.wakeAfterCommit !== false) drainer.wake();
  };
  services.hooks.inTransaction.push(writeOutbox);
  services.hooks.afterCommit.push(wakeDrain);

  const digest = (scheduledAt: Date) =>
    runDigest(
      {
        db,
        logger,
        publicUrl: config.publicUrl,
        mailDomain: domain,
        managerEmails: config.digest.managerEmails,
        timeZone: config.digest.timeZone,
        owner,
      },
      scheduledAt,
    ).then((outcome) => {
      if (outcome === 'queued') drainer.wake();
      return outcome;
    });

  const scheduler = createScheduler(logger);
  if (options.schedule !== false) {
    scheduler.every('email-outbox', config.mail.queueCron, () => drainer.drain());
    scheduler.every(
      'manager-digest',
      config.digest.cron,
      async ({ scheduledAt }) => void (await digest(scheduledAt)),
      {
        timeZone: config.digest.timeZone,
      },
    );
    scheduler.every('email-retention', RETENTION_CRON, async () => {
      const before = new Date(Date.now() - config.mail.retentionDays * 24 * 60 * 60_000);
      const purged = await purgeExpired(db, queue, before);
      if (purged > 0)
        logger.info(
          { purged, retentionDays: config.mail.retentionDays },
          'old sent, dead and skipped emails removed',
        );
    });
    // Mail queued before a restart goes out now rather than at the next tick.
    drainer.wake();
  }

  let stopping: Promise<void> | undefined;
  return {
    drainer,
    queue,
    runDigest: digest,
    mailer: { kind: mailer.kind, destination: mailer.destination },
    stop: () => {
      stopping ??= (async () => {
        remove(services.hooks.inTransaction, writeOutbox);
        remove(services.hooks.afterCommit, wakeDrain);
        await scheduler.stop();
        await drainer.stop();
        await mailer.close();
        logger.info('email notifications stopped');
      })();
      return stopping;
    },
  };
}

function remove<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index >= 0) list.splice(index, 1);
}
