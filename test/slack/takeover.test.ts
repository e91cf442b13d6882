import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { OUTBOX_LEASE_MS } from '../../src/notifications/drain.js';
import { CARD_LEASE_MS } from '../../src/slack/cardLeases.js';
import { CARD_CATCH_UP_MS } from '../../src/slack/index.js';
import { createTestDatabase, databaseKinds } from '../support/db.js';
import { FakeSlack } from '../support/slackApi.js';
import { ADMIN, HELPDESK, REQUESTER, type SlackTestApp, TECHNICIAN } from '../support/slackApp.js';
import { TestSmtpServer } from '../support/smtpServer.js';
import { until as poll, startTicketbotProcess, type TicketbotProcess } from '../support/ticketbotProcess.js';

// A ticketbot process killed (SIGKILL) while it holds new tickets' cards (their posts waiting for
// Slack's rate limit on the helpdesk channel) and emails (the SMTP server not yet answering their
// DATA): another process, running beside it as a replica does, takes every one over once the
// dead process's leases run out, which is at most CARD_LEASE_MS (cards) or OUTBOX_LEASE_MS
// (emails) after its last heartbeat; each card is posted once and each email delivered once.
// The takeover time is printed, not asserted (bench/ is for speed).

const TICKETS = 3;

/** Polls as the shared helper does, with two minutes by default: leases of 40–45 s must run out. */
const until = <T>(read: () => Promise<T> | T, ok: (value: T) => boolean, what: string, timeoutMs = 120_000) =>
  poll(read, ok, what, timeoutMs);

for (const { kind, skipReason } of databaseKinds()) {
  describe.skipIf(skipReason !== '')(`a killed process's cards and emails taken over [${kind}]`, () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let slack: FakeSlack;
    let smtp: TestSmtpServer;
    const processes: TicketbotProcess[] = [];

    beforeAll(async () => {
      database = await createTestDatabase(kind);
      slack = await FakeSlack.start();
      smtp = await TestSmtpServer.start();
      slack.addUser(REQUESTER, { name: 'Rita Requester', email: 'rita@example.com', locale: 'en-US' });
      slack.addUser(TECHNICIAN, { name: 'Tom Tech', email: 'tom@example.com', locale: 'en-GB' });
      slack.addUser(ADMIN, { name: 'Ada Admin', locale: 'en-US' });
    });
    afterAll(async () => {
      for (const started of processes) await started.kill();
      await slack?.stop();
      await smtp?.close();
      await database?.drop();
    });

    async function startProcess(): Promise<TicketbotProcess> {
      const started = await startTicketbotProcess({
        databaseUrl: database.url,
        db: database.db,
        slack,
        env: {
          TECHNICIAN_USER_IDS: TECHNICIAN,
          SMTP_URL: smtp.url,
          MAIL_FROM: 'ticketbot <ticketbot@example.com>',
        },
      });
      processes.push(started);
      return started;
    }

    const db = (): Database => database.db;
    const rowsOf = async <T>(sql: string): Promise<T[]> => {
      const [rows] = await db().sequelize.query(sql);
      return rows as T[];
    };
    const toMs = (value: unknown) => (value === null ? null : new Date(value as string).getTime());

    async function submit(app: SlackTestApp, title: string, nth: number): Promise<void> {
      expect((await app.command(REQUESTER, title)).status).toBe(200);
      const opened = await slack.waitFor(
        (calls) => calls.filter((c) => c.method === 'views.open')[nth],
        'views.open',
      );
      const submitted = await app.submitView(REQUESTER, opened, {
        title: { title: { type: 'plain_text_input', value: title } },
        priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
        technician: { technician: { type: 'static_select', selected_option: { value: TECHNICIAN } } },
      });
      expect(submitted.status).toBe(200);
      expect(submitted.text).toBe('');
    }

    it('every card and email the killed process held is delivered by the other, once, after leases of under a minute', async () => {
      const first = await startProcess();
      // The helpdesk channel allows one post a minute: the first card goes out, the others wait
      // in the first process for Retry-After, their leases held by its heartbeat.
      slack.enforceRateLimits({ postMessagePerChannel: { perMinute: 1, burst: 1 } });
      // The SMTP server takes each email's DATA and does not answer yet.
      let releaseSmtp = () => {};
      const smtpReleased = new Promise<void>((resolve) => {
        releaseSmtp = resolve;
      });
      let stalled = 0;
      smtp.inject(
        ...Array.from({ length: 2 * TICKETS }, () => ({
          kind: 'stall' as const,
          release: smtpReleased,
          arrived: () => {
            stalled += 1;
          },
        })),
      );
      const titles = Array.from({ length: TICKETS }, (_, i) => `Taken over ${i}`);
      for (const [i, title] of titles.entries()) await submit(first.app, title, i);

      await until(
        () => rowsOf<{ n: number }>('SELECT COUNT(*) AS n FROM email_outbox'),
        (rows) => Number(rows[0]!.n) >= TICKETS,
        'the emails queued',
      );
      // Emails claimed by the first process, those its SMTP connections took waiting for the
      // server's answer. (Rows queued later wait, pending, for the next drain: any process's.)
      await until(
        async () => ({
          stalled,
          sending: (await rowsOf<{ status: string }>('SELECT status FROM email_outbox')).filter(
            (row) => row.status === 'sending',
          ).length,
        }),
        (state) => state.stalled >= 1 && state.sending >= 1,
        'every email claimed, and sends waiting on the SMTP server',
      );
      await until(
        () => slack.ratelimitedByMethod.get('chat.postMessage') ?? 0,
        (n) => n > 0,
        'a card post waiting for the rate limit',
      );
      type CardLease = {
        ticket_id: number;
        message_ts: string | null;
        lease_until: unknown;
        lease_owner: string | null;
      };
      const cardLeases = () =>
        rowsOf<CardLease>(
          'SELECT ticket_id, message_ts, lease_until, lease_owner FROM slack_cards ORDER BY ticket_id',
        );
      type EmailLease = { id: number; status: string; lease_expires_at: unknown; lease_owner: string | null };
      const emailLeases = () =>
        rowsOf<EmailLease>('SELECT id, status, lease_expires_at, lease_owner FROM email_outbox ORDER BY id');
      const heldCards = (await cardLeases()).filter((card) => card.message_ts === null);
      expect(heldCards.length).toBeGreaterThanOrEqual(1);
      const firstCardLeases = new Map(heldCards.map((card) => [card.ticket_id, toMs(card.lease_until)!]));

      // The other replica starts; the first one's heartbeats go on meanwhile.
      const second = await startProcess();
      // Renewed since they were first written: the heartbeat, not a long first lease, holds them.
      const renewed = await until(
        cardLeases,
        (cards) =>
          cards.every(
            (card) =>
              card.message_ts !== null || toMs(card.lease_until)! > firstCardLeases.get(card.ticket_id)!,
          ),
        'the card leases renewed by the heartbeat',
      );
      const heldEmails = (await emailLeases()).filter((row) => row.status === 'sending');
      expect(heldEmails.length).toBeGreaterThanOrEqual(1);
      const owner = renewed.find((card) => card.message_ts === null)!.lease_owner;
      expect(owner).not.toBeNull();

      first.child.kill('SIGKILL');
      await once(first.child, 'exit');
      const killedAt = Date.now();
      // What the dead process held, as it left it: leases ending at most a lease after its last
      // heartbeat, which came before the kill.
      const leftCards = (await cardLeases()).filter((card) => card.message_ts === null);
      const leftEmails = (await emailLeases()).filter((row) => row.status === 'sending');
      expect(leftEmails.length).toBeGreaterThanOrEqual(1);
      for (const card of leftCards) {
        expect(card.lease_owner).toBe(owner);
        expect(toMs(card.lease_until)! - killedAt).toBeLessThanOrEqual(CARD_LEASE_MS + 1000);
      }
      for (const row of leftEmails) {
        expect(toMs(row.lease_expires_at)! - killedAt).toBeLessThanOrEqual(OUTBOX_LEASE_MS + 1000);
      }
      // With the catch-up's period, the whole takeover is bounded by a minute.
      expect(CARD_LEASE_MS + CARD_CATCH_UP_MS).toBeLessThanOrEqual(60_000);
      expect(OUTBOX_LEASE_MS + 5_000).toBeLessThanOrEqual(60_000);
      // The dead process's SMTP connections are gone: what they were sending was never delivered.
      releaseSmtp();
      slack.stopRateLimits();

      const cardsDone = await until(
        cardLeases,
        (cards) =>
          cards.length === TICKETS &&
          cards.every((card) => card.message_ts !== null && card.lease_until === null),
        'every card posted by the second process',
      );
      const cardsAt = Date.now();
      const sent = await until(
        emailLeases,
        (rows) => rows.every((row) => row.status === 'sent'),
        'every email sent by the second process',
      );
      const emailsAt = Date.now();
      process.stdout.write(
        `[${kind}] takeover after SIGKILL: ${leftCards.length} cards posted ${((cardsAt - killedAt) / 1000).toFixed(1)} s after the kill, ${leftEmails.length} emails sent by ${((emailsAt - killedAt) / 1000).toFixed(1)} s (leases: cards ${CARD_LEASE_MS / 1000} s, emails ${OUTBOX_LEASE_MS / 1000} s; card catch-up every ${CARD_CATCH_UP_MS / 1000} s; aim: within 60 s)\n`,
      );

      // Each card once in the channel, each email once at the server.
      for (const title of titles)
        expect(slack.messagesIn(HELPDESK).filter((m) => m.text.includes(title))).toHaveLength(1);
      expect(cardsDone).toHaveLength(TICKETS);
      const messageIds = smtp.messageIds();
      expect(new Set(messageIds).size).toBe(messageIds.length);
      expect(messageIds).toHaveLength(sent.length);
      // The requester heard about each ticket once.
      const dms = slack
        .callsTo('chat.postMessage')
        .filter((call) => call.response.ok && call.args.channel === `D${REQUESTER.slice(1)}`);
      for (const [i] of titles.entries())
        expect(dms.filter((call) => String(call.args.text).includes(`#${i + 1}`))).toHaveLength(1);
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
    }, 240_000);
  });
}
