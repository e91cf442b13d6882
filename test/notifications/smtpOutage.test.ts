import { afterEach, beforeEach, expect, it } from 'vitest';
import type { NotificationsHandle } from '../../src/notifications/index.js';
import { smtpMailer } from '../../src/notifications/mailer.js';
import { describeEachDatabase } from '../support/db.js';
import {
  drainUntil,
  freshNotifications,
  openTicket,
  outboxRows,
  TECHNICIAN,
  useMailServer,
} from './support.js';

/** Production's retry policy (src/notifications/failures.ts DEFAULT_RETRY), with fewer attempts. */
const RETRY = { baseDelayMs: 30_000, maxDelayMs: 60 * 60_000, maxAttempts: 3 };

describeEachDatabase('SMTP server down for ten minutes, then back', (suite) => {
  const { smtp, services } = useMailServer(suite);
  let notifications: NotificationsHandle;
  /** The drainer's clock: moved by hand, so ten minutes pass in a few seconds. */
  let now = Date.now();
  beforeEach(async () => {
    now = Date.now();
    notifications = await freshNotifications(smtp, services, {
      wakeAfterCommit: false,
      retry: RETRY,
      clock: () => now,
      // One connection: the server receives the emails in the order the drain sends them.
      mailer: smtpMailer(smtp.url, { maxConnections: 1 }),
    });
  });
  afterEach(async () => {
    await smtp.up().catch(() => undefined);
    await notifications.stop();
  });

  it('every email is delivered once, oldest first, none left sending, no attempts used up while down', async () => {
    await openTicket(services, { technicianId: TECHNICIAN, title: 'Before the outage' });
    await notifications.drainer.drain();
    expect(smtp.received).toHaveLength(1);

    await smtp.down();
    // Ten minutes of drain rounds (every 15 s, as a cron would), a ticket every minute.
    for (let round = 0; round < 40; round++) {
      if (round % 4 === 0)
        await openTicket(services, { technicianId: TECHNICIAN, title: `During ${round / 4}` });
      await notifications.drainer.drain();
      now += 15_000;
    }
    expect(notifications.drainer.smtpDownSince).toBeDefined();
    const waiting = (await outboxRows(suite.db)).slice(1);
    expect(waiting).toHaveLength(10);
    for (const row of waiting) {
      expect(row.status).toBe('pending');
      // Far more rounds than maxAttempts, yet no attempt used up: the rows wait for the server.
      expect(row.attempts).toBe(0);
      expect(row.lastSmtpCode).toBeNull();
      expect(row.sentAt).toBeNull();
    }

    await smtp.up();
    now += 60_000;
    const settled = async () => (await outboxRows(suite.db)).every((row) => row.status === 'sent');
    await drainUntil(notifications, settled);
    expect(notifications.drainer.smtpDownSince).toBeUndefined();

    const rows = await outboxRows(suite.db);
    expect(rows.map((row) => row.status)).toEqual(Array(11).fill('sent'));
    expect(rows.slice(1).map((row) => row.attempts)).toEqual(Array(10).fill(1));
    // Oldest first, each once.
    expect(smtp.messageIds()).toEqual(rows.map((row) => row.messageId));
  });

  it('a drain during the pause claims nothing: the rows stay pending with their place kept', async () => {
    await smtp.down();
    await openTicket(services, { technicianId: TECHNICIAN });
    await notifications.drainer.drain();
    const [before] = await outboxRows(suite.db);
    expect(before!.status).toBe('pending');
    // Within the pause: nothing is claimed, nothing changes.
    now += 1_000;
    await notifications.drainer.drain();
    const [during] = await outboxRows(suite.db);
    expect(during!.updatedAt.getTime()).toBe(before!.updatedAt.getTime());
    expect(during!.availableAt.getTime()).toBe(before!.availableAt.getTime());
    expect(during!.attempts).toBe(0);
  });
});
