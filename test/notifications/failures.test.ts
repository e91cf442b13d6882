import { afterEach, beforeEach, expect, it } from 'vitest';
import { SENDERS_PER_CONNECTION } from '../../src/notifications/drain.js';
import type { NotificationsHandle } from '../../src/notifications/index.js';
import { smtpMailer } from '../../src/notifications/mailer.js';
import { describeEachDatabase } from '../support/db.js';
import {
  drainUntil,
  freshNotifications,
  notificationsFor,
  openTicket,
  outboxRows,
  TECHNICIAN,
  useMailServer,
} from './support.js';

describeEachDatabase('email delivery when SMTP fails', (suite) => {
  const { smtp, services } = useMailServer(suite);
  let notifications: NotificationsHandle;
  beforeEach(async () => {
    notifications = await freshNotifications(smtp, services, { wakeAfterCommit: false });
  });
  afterEach(async () => notifications.stop());

  /** One email: the technician hears about the ticket assigned to them at creation. */
  const queueOne = async () => {
    await openTicket(services, { technicianId: TECHNICIAN });
    const rows = await outboxRows(suite.db);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };
  /** The `nth` call to the queue's `method` fails as a lost database connection would; counts the calls. */
  const breakCall = (method: 'claim' | 'markManySent', nth: number) => {
    const queue = notifications.queue;
    const original = queue[method].bind(queue) as (...args: unknown[]) => Promise<unknown>;
    let calls = 0;
    (queue as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      calls += 1;
      if (calls === nth) throw new Error('Connection lost: The server closed the connection.');
      return original(...args);
    };
    return { calls: () => calls };
  };
  const settled = async () => {
    const rows = await outboxRows(suite.db);
    return rows.every((row) => row.status === 'sent' || row.status === 'dead');
  };

  /** One email queued, then drained until it is sent or dead: its row as it ends. */
  const queueOneAndSettle = async () => {
    const row = await queueOne();
    await drainUntil(notifications, settled);
    return row.reload();
  };

  it('451 then success: delivered once, on a later attempt, with the failure recorded meanwhile', async () => {
    smtp.inject({ kind: 'reply', code: 451, message: 'Try again later' });
    const row = await queueOne();
    await notifications.drainer.drain();
    await row.reload();
    expect(row.status).toBe('pending');
    expect(row.lastSmtpCode).toBe(451);
    expect(row.lastError).toContain('Try again later');
    expect(row.availableAt.getTime()).toBeGreaterThan(row.createdAt.getTime() - 1000);

    await drainUntil(notifications, settled);
    await row.reload();
    expect(row.status).toBe('sent');
    expect(row.attempts).toBe(2);
    expect(smtp.messageIds()).toEqual([row.messageId]);
  });

  it('550: dead at once, with the code and the reason kept', async () => {
    smtp.inject({ kind: 'reply', code: 550, message: 'No such user here' });
    const row = await queueOneAndSettle();
    expect(row.status).toBe('dead');
    expect(row.attempts).toBe(1);
    expect(row.lastSmtpCode).toBe(550);
    expect(row.lastError).toContain('No such user here');
    expect(smtp.received).toHaveLength(0);
  });

  it('temporary failures beyond the attempt limit: dead, not retried for ever', async () => {
    smtp.inject(...Array.from({ length: 4 }, () => ({ kind: 'reply' as const, code: 421, message: 'Busy' })));
    const row = await queueOneAndSettle();
    expect(row.status).toBe('dead');
    expect(row.attempts).toBe(4);
    expect(row.lastSmtpCode).toBe(421);
  });

  it('connection dropped before the server kept the message: delivered exactly once', async () => {
    smtp.inject({ kind: 'drop', stored: false });
    const row = await queueOneAndSettle();
    expect(row.status).toBe('sent');
    expect(row.attempts).toBe(2);
    expect(smtp.messageIds()).toEqual([row.messageId]);
  });

  it('connection dropped after the server kept the message: delivered, at most one extra copy, same Message-ID', async () => {
    smtp.inject({ kind: 'drop', stored: true });
    const row = await queueOneAndSettle();
    expect(row.status).toBe('sent');
    // The documented bound: one extra copy per attempt whose reply was lost, identical Message-ID.
    expect(smtp.messageIds()).toEqual([row.messageId, row.messageId]);
    expect(smtp.received.length).toBeLessThanOrEqual(row.attempts);
  });

  it('SMTP down for a while: everything is delivered once it is back', async () => {
    await smtp.down();
    for (let i = 0; i < 5; i++)
      await openTicket(services, { technicianId: TECHNICIAN, title: `Outage ${i}` });
    await notifications.drainer.drain();
    const waiting = await outboxRows(suite.db);
    expect(waiting.map((row) => row.status)).toEqual(Array(5).fill('pending'));
    expect(waiting.every((row) => row.lastSmtpCode === null && row.lastError !== null)).toBe(true);

    await smtp.up();
    await drainUntil(notifications, settled);
    const rows = await outboxRows(suite.db);
    expect(rows.map((row) => row.status)).toEqual(Array(5).fill('sent'));
    expect(smtp.messageIds().sort()).toEqual(rows.map((row) => row.messageId).sort());
  });

  it('takes over the lease of a drainer that died mid-batch once it expires', async () => {
    const row = await queueOne();
    // A crashed process: it claimed the row and never came back.
    const claimed = await notifications.queue.claim('crashed-process', 10, 1000);
    expect(claimed.map((r) => r.id)).toEqual([row.id]);
    await notifications.drainer.drain();
    expect(smtp.received).toHaveLength(0);
    await drainUntil(notifications, settled);
    await row.reload();
    expect(row.status).toBe('sent');
    expect(row.attempts).toBe(2);
    expect(smtp.messageIds()).toEqual([row.messageId]);
  });

  it('a send slower than the whole lease keeps it through the heartbeat: no other drainer takes the email, it is sent once', async () => {
    await notifications.stop();
    // A lease of 3 s renewed every second; the SMTP server holds the send for 5 s.
    notifications = await notificationsFor(services, smtp.url, { wakeAfterCommit: false, leaseMs: 3000 });
    const row = await queueOne();
    let release = () => {};
    smtp.inject({ kind: 'hold', release: new Promise<void>((resolve) => (release = resolve)) });
    const draining = notifications.drainer.drain();
    await smtp.waitFor(() => smtp.received.length === 1);
    const heldSince = Date.now();
    const other = notifications.queue;
    while (Date.now() - heldSince < 5000) {
      // Another drainer (another process) looking for due rows finds none: the lease is renewed.
      expect(await other.claim('other-process', 10, 3000)).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await row.reload();
    expect(row.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now());
    release();
    await draining;
    await row.reload();
    expect(row.status).toBe('sent');
    expect(row.attempts).toBe(1);
    expect(smtp.messageIds()).toEqual([row.messageId]);
  });

  it('stopping lets the sends in flight finish, gives back the rest of the batch and claims nothing more', async () => {
    await notifications.stop();
    const mailer = smtpMailer(smtp.url, { maxConnections: 1 });
    notifications = await notificationsFor(services, smtp.url, { wakeAfterCommit: false, mailer });
    const releases: Array<() => void> = [];
    const held = new Promise<void>((resolve) => releases.push(resolve));
    const release = () => {
      for (const resolve of releases) resolve();
    };
    smtp.inject({ kind: 'hold', release: held });
    for (let i = 0; i < 6; i++) await openTicket(services, { technicianId: TECHNICIAN, title: `Late ${i}` });
    const draining = notifications.drainer.drain();
    await smtp.waitFor(() => smtp.received.length === 1);
    const stopped = notifications.stop();
    release();
    await Promise.all([draining, stopped]);
    await notifications.drainer.drain();

    const rows = await outboxRows(suite.db);
    const sent = rows.filter((r) => r.status === 'sent');
    const givenBack = rows.filter((r) => r.status === 'pending');
    // In flight: what was handed to the mailer (a few per SMTP connection); the rest goes back.
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent.length).toBeLessThanOrEqual(SENDERS_PER_CONNECTION * mailer.concurrency);
    expect(givenBack.length).toBeGreaterThanOrEqual(1);
    expect(sent.length + givenBack.length).toBe(6);
    expect(givenBack.map((r) => [r.attempts, r.leaseOwner, r.leaseExpiresAt])).toEqual(
      givenBack.map(() => [0, null, null]),
    );
    expect(smtp.messageIds().sort()).toEqual(sent.map((r) => r.messageId).sort());
  });

  it('a claim failing (database outage) while a send is in flight: the drain ends only once that send is recorded', async () => {
    const row = await queueOne();
    // The database goes away after the first claim: the claim ahead of the senders fails.
    breakCall('claim', 2);
    let release = () => {};
    smtp.inject({ kind: 'hold', release: new Promise<void>((resolve) => (release = resolve)) });
    let finished = false;
    const draining = notifications.drainer.drain().then(() => {
      finished = true;
    });
    await smtp.waitFor(() => smtp.received.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Shutdown waits for this drain: it must not be over while a send is in flight.
    expect(finished).toBe(false);
    release();
    await draining;
    await row.reload();
    expect(row.status).toBe('sent');
  });

  it('recording `sent` failing for a moment (database blip): tried again, the email sent once', async () => {
    const row = await queueOne();
    const writes = breakCall('markManySent', 1);
    await notifications.drainer.drain();
    await row.reload();
    expect(row.status).toBe('sent');
    expect(writes.calls()).toBe(2);
    // Nothing left to send again: a later drain sends nothing more.
    await notifications.drainer.drain();
    expect(smtp.received).toHaveLength(1);
  });
});
