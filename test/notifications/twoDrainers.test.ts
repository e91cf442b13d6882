import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/index.js';
import { createLogger } from '../../src/logger.js';
import { storedAddressBook } from '../../src/notifications/addressBook.js';
import { OutboxDrainer } from '../../src/notifications/drain.js';
import { writeOutbox } from '../../src/notifications/enqueue.js';
import { smtpMailer } from '../../src/notifications/mailer.js';
import { OutboxQueue } from '../../src/notifications/queue.js';
import { loadEmailTemplates } from '../../src/notifications/templates/index.js';
import { sampleData } from '../../src/notifications/templates/samples.js';
import { describeEachDatabase } from '../support/db.js';
import { TestSmtpServer } from '../support/smtpServer.js';
import { texts } from '../support/texts.js';
import { FAST_RETRY } from './support.js';

describeEachDatabase('two processes draining one outbox', (suite) => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
  });
  afterAll(async () => smtp.close());

  it('sends every row exactly once: each Message-ID reaches the server once', async () => {
    const total = 300;
    await writeOutbox(
      suite.db,
      Array.from({ length: total }, (_, i) => ({
        ticketId: null,
        to: { email: `person${i}@example.com` },
        template: 'ticket_assigned',
        locale: i % 2 ? 'fr' : 'en',
        data: {
          ...sampleData('ticket_assigned', 'https://help.example.com'),
          recipient: { name: `Person ${i}` },
        },
        idempotencyKey: `two-drainers:${i}`,
      })),
      'example.com',
    );
    const templates = loadEmailTemplates({ texts, publicUrl: 'https://help.example.com' });
    // On MySQL each "process" has its own connection pool, mailer and lease owner name. SQLite
    // has one writer per file, and in one Node process separate handles busy-waiting on its
    // lock would starve libuv's thread pool: there the two drainers share the process's handle.
    const processes = ['replica-a', 'replica-b'].map((owner) => {
      const db = suite.kind === 'mysql' ? createDatabase(suite.url) : suite.db;
      const mailer = smtpMailer(smtp.url, { maxConnections: 3 });
      const drainer = new OutboxDrainer({
        db,
        queue: new OutboxQueue(db),
        mailer,
        addressBook: storedAddressBook(db),
        templates,
        logger: createLogger(process.env.DEBUG_DRAIN ?? 'silent'),
        owner,
        from: 'help@example.com',
        publicUrl: 'https://help.example.com',
        mailDomain: 'example.com',
        batchSize: 10,
        retry: FAST_RETRY,
      });
      return { db, mailer, drainer };
    });
    try {
      // Connected and warmed up first, so both start draining together.
      await Promise.all(processes.map(({ db }) => db.models.EmailOutbox.count()));
      await Promise.all(processes.map(({ drainer }) => Promise.all([drainer.drain(), drainer.drain()])));
      const rows = await suite.db.models.EmailOutbox.findAll();
      expect(rows.filter((row) => row.status === 'sent')).toHaveLength(total);
      const ids = smtp.messageIds();
      expect(new Set(ids)).toEqual(new Set(rows.map((row) => row.messageId)));
      // Claimed by one drainer only: one attempt, one copy. (On a loaded machine a send can fail
      // on its own and be retried: such a row may arrive once per attempt, never more.)
      for (const row of rows) {
        const copies = ids.filter((id) => id === row.messageId).length;
        if (row.attempts === 1) expect(copies, `row ${row.id}`).toBe(1);
        else expect(copies, `row ${row.id}`).toBeLessThanOrEqual(row.attempts);
      }
      expect(rows.filter((row) => row.attempts > 1).length).toBeLessThan(total / 10);
      // Every row is counted by exactly one drainer. How the rows split between them depends on
      // scheduling (on a busy machine one may claim everything before the other's first claim),
      // so the split itself is not asserted; that nothing is sent twice is.
      expect(processes.reduce((sum, { drainer }) => sum + drainer.counts.sent, 0)).toBe(total);
    } finally {
      for (const { db, mailer } of processes) {
        await mailer.close();
        if (db !== suite.db) await db.close();
      }
    }
  });
});
