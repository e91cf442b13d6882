import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type Config, loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/index.js';
import { loadTexts } from '../../src/i18n/index.js';
import { createLogger } from '../../src/logger.js';
import {
  type AddressBook,
  type NotificationOptions,
  type NotificationsHandle,
  startNotifications,
  storedAddressBook,
} from '../../src/notifications/index.js';
import { smtpMailer } from '../../src/notifications/mailer.js';
import {
  type createTicket,
  createTicketHooks,
  seedRoster,
  type TicketServices,
} from '../../src/tickets/index.js';
import { TestSmtpServer } from '../support/smtpServer.js';
import { standIn } from '../support/standIn.js';
import { as, newTicket, REQUESTER, SECOND_TECHNICIAN, TECHNICIAN } from '../support/tickets.js';

export { as, REQUESTER, SECOND_TECHNICIAN, TECHNICIAN };
export const NO_EMAIL_USER = 'U0NOMAIL01';
export const MANAGER = 'boss@example.com';

/** The cast: a French-speaking requester, two technicians, one person Slack gave no email. */
export const PEOPLE = [
  {
    id: REQUESTER,
    name: 'Camille <Martin>',
    email: 'camille@example.com',
    locale: 'fr-FR',
    tz: 'Europe/Paris',
  },
  { id: TECHNICIAN, name: 'Sam Lee', email: 'sam@example.com', locale: 'en-US', tz: 'America/New_York' },
  { id: SECOND_TECHNICIAN, name: 'Alex Kim', email: 'alex@example.com', locale: 'en-GB', tz: null },
  { id: NO_EMAIL_USER, name: 'No Mail', email: null, locale: null, tz: null },
];

export const FAST_RETRY = { baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 4 };

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    PUBLIC_URL: 'https://help.example.com',
    MAIL_FROM: 'Helpdesk <help@example.com>',
    ...env,
  });
}

/** Ticket services on `db` with the cast in the users table (emails as Slack would give them). */
export async function servicesWithPeople(db: Database): Promise<TicketServices> {
  await seedRoster(db, { technicianIds: [TECHNICIAN, SECOND_TECHNICIAN], adminIds: [] });
  for (const person of PEOPLE) {
    await db.models.User.upsert({
      ...person,
      realName: null,
      teamId: 'T0TEAM',
      profileRefreshedAt: new Date(),
    });
  }
  await db.models.User.update({ isTechnician: true }, { where: { id: [TECHNICIAN, SECOND_TECHNICIAN] } });
  return { db, hooks: createTicketHooks(), logger: createLogger('silent') };
}

/**
 * For a describe block: a real SMTP server and ticket services with the cast in the users table,
 * ready before its tests; the server is closed after them.
 */
export function useMailServer(suite: { db: Database }): { smtp: TestSmtpServer; services: TicketServices } {
  let smtp: TestSmtpServer | undefined;
  let services: TicketServices | undefined;
  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    services = await servicesWithPeople(suite.db);
  });
  afterAll(async () => smtp?.close());
  return {
    smtp: standIn(() => smtp, 'The SMTP server'),
    services: standIn(() => services, 'The ticket services'),
  };
}

/** For a test's start: nothing received, an empty outbox, and notifications started afresh. */
export async function freshNotifications(
  smtp: TestSmtpServer,
  services: TicketServices,
  options?: Parameters<typeof notificationsFor>[2],
): Promise<NotificationsHandle> {
  smtp.received.length = 0;
  await services.db.models.EmailOutbox.destroy({ where: {} });
  return notificationsFor(services, smtp.url, options);
}

/** A ticket from the requester whose title needs escaping in every email part. */
export function openTicket(
  services: TicketServices,
  overrides: Partial<Parameters<typeof createTicket>[1]> = {},
) {
  return newTicket(services, { title: 'Printer <jams> & smokes', priority: 'high', ...overrides });
}

/** Notifications on `services`, sending to `smtpUrl`, with no cron: tests drive the drain. */
export function notificationsFor(
  services: TicketServices,
  smtpUrl: string,
  options: NotificationOptions & { env?: Record<string, string>; addressBook?: AddressBook } = {},
): Promise<NotificationsHandle> {
  const config = testConfig({ SMTP_URL: smtpUrl, ...options.env });
  const addressBook = options.addressBook ?? storedAddressBook(services.db);
  return startNotifications(
    {
      config,
      texts: loadTexts({ localesDir: config.localesDir }),
      services,
      logger: createLogger('silent'),
      addressBook,
    },
    { schedule: false, retry: FAST_RETRY, mailer: smtpMailer(smtpUrl, { maxConnections: 3 }), ...options },
  );
}

/** Drains until `condition` holds: retries wait for their time, so this polls. */
export async function drainUntil(
  handle: NotificationsHandle,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await handle.drainer.drain();
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error('drainUntil: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function outboxRows(db: Database) {
  return db.models.EmailOutbox.findAll({ order: [['id', 'ASC']] });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
