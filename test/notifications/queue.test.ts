import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/index.js';
import { migrateUp } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import {
  type NotificationsHandle,
  startNotifications,
  storedAddressBook,
} from '../../src/notifications/index.js';
import { emlMailer } from '../../src/notifications/mailer.js';
import { forgetRatingPrompt, recordRatingPrompt } from '../../src/slack/store/ratingPrompts.js';
import {
  addComment,
  changeStatus,
  rateTicket,
  reopenTicket,
  type TicketServices,
} from '../../src/tickets/index.js';
import { retryEmail } from '../../src/web/status/emailQueue.js';
import { createEmptyTestDatabase, type TestDatabase } from '../support/db.js';
import { texts } from '../support/texts.js';
import {
  as,
  drainUntil,
  openTicket,
  outboxRows,
  REQUESTER,
  servicesWithPeople,
  TECHNICIAN,
  tempDir,
  testConfig,
} from './support.js';

// SQLite has one writer. Every write in the process takes its turn (db.writeQueue): a write sent
// straight to a connection while a ticket transaction holds the lock would sit out SQLite's busy
// timeout (15 s, then Sequelize's retries) and stall whoever waits on it, a Slack submission
// included. Here a write that meets the lock fails at once, and the test with it.

describe('SQLite: the email drain and other lone writes beside ticket changes [sqlite]', () => {
  let empty: TestDatabase;
  let db: Database;
  let services: TicketServices;
  let notifications: NotificationsHandle;
  const logged: Array<{ level: number; msg: string; outboxId?: number; err?: { message?: string } }> = [];

  beforeAll(async () => {
    empty = await createEmptyTestDatabase('sqlite');
    db = createDatabase(empty.url, { sqliteFailOnLock: true });
    await db.sequelize.query('PRAGMA journal_mode = WAL');
    await migrateUp(db);
    services = await servicesWithPeople(db);
    const logger = createLogger('warn', {
      write: (line: string) => {
        logged.push(JSON.parse(line));
      },
    });
    // The drain runs as in production: woken right after every commit that queued mail.
    notifications = await startNotifications(
      {
        config: testConfig({ SMTP_URL: 'smtp://unused.invalid' }),
        texts,
        services,
        logger,
        addressBook: storedAddressBook(db),
      },
      { schedule: false, mailer: emlMailer(tempDir('ticketbot-eml-')) },
    );
  });
  afterAll(async () => {
    await notifications?.stop();
    await db?.close();
    await empty?.drop();
  });

  it('changes made back to back, each waking the drain, never meet a held write lock', async () => {
    const dead = await db.models.EmailOutbox.create({
      ticketId: null,
      recipient: 'dead@example.com',
      idempotencyKey: 'test:dead-email',
      template: 'ticket_created',
      data: '{}',
      locale: 'en',
      status: 'dead',
      attempts: 5,
      availableAt: new Date(),
    });
    // Lone writes from elsewhere in the process (Slack's bookkeeping, the status page's Retry,
    // the retention job) keep coming while the changes commit and the drain claims and records.
    let changing = true;
    let lone = 0;
    const beside = (async () => {
      while (changing) {
        const prompt = { channel: 'D0RITA', ts: `1700000000.${lone++}` };
        await recordRatingPrompt(db, 1, 1, prompt);
        await forgetRatingPrompt(db, 1, prompt);
        await retryEmail(db, dead.id);
        await notifications.queue.purge(new Date(0));
      }
    })();
    try {
      for (let round = 0; round < 10; round++) {
        const ticket = await openTicket(services, { technicianId: TECHNICIAN });
        const ticketId = ticket.id;
        await addComment(as(services, TECHNICIAN), { ticketId, body: 'Try this' });
        await addComment(as(services, REQUESTER), { ticketId, body: 'No luck' });
        await changeStatus(as(services, TECHNICIAN), { ticketId, status: 'in_progress' });
        await changeStatus(as(services, TECHNICIAN), { ticketId, status: 'closed' });
        await rateTicket(as(services, REQUESTER), { ticketId, score: 5 });
        await reopenTicket(as(services, REQUESTER), { ticketId });
      }
    } finally {
      changing = false;
      await beside;
    }
    expect(lone).toBeGreaterThan(10);
    await drainUntil(notifications, async () =>
      (await outboxRows(db)).every((row) => row.status === 'sent' || row.id === dead.id),
    );
    // The drain logs what it could not do (a claim or a record that met the lock) and goes on:
    // nothing of the kind may have happened. (The retried email has no data to render: it dies
    // again each round, which is not what this is about.)
    const others = logged.filter((line) => line.outboxId !== dead.id);
    expect(
      others.filter((line) => line.level >= 40).map((line) => `${line.msg}: ${line.err?.message}`),
    ).toEqual([]);
    expect((await outboxRows(db)).filter((row) => row.status === 'sent').length).toBeGreaterThan(0);
  }, 60_000);
});
