import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { createLogger } from '../../src/logger.js';
import { ACTION_START } from '../../src/slack/blocks/ids.js';
import { createTestDatabase, databaseKinds } from '../support/db.js';
import { MysqlProxy } from '../support/mysqlProxy.js';
import {
  type Card,
  REQUESTER,
  type SlackTestApp,
  startSlackTestApp,
  TECHNICIAN,
} from '../support/slackApp.js';
import { ticketOfCard } from '../support/slackCards.js';
import { TestSmtpServer } from '../support/smtpServer.js';
import { texts } from '../support/texts.js';

// The database stops under traffic (a TCP relay between ticketbot and MariaDB cuts every
// connection and refuses new ones, as a stopped server does), then comes back. Meanwhile every
// request gets an answer Slack shows the person: a modal submission the error on its modal saying
// to submit again (in time for Slack's three seconds), a click an ephemeral "try again", a thread
// reply no acknowledgement (so Slack sends it again), /readyz a 503. The process stays up (an
// unhandled rejection fails the run), reconnects by itself, and once the database is back the
// same requests go through: each applied once, every card posted once, every email sent once.
// The outage here lasts a few seconds; its length does not change what is tested.

const mysql = databaseKinds().find((kind) => kind.kind === 'mysql')!;
const en = texts.slack('en');

async function until<T>(read: () => Promise<T> | T, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(mysql.skipReason !== '')('the database stopped under traffic, then back [mysql]', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: MysqlProxy;
  let smtp: TestSmtpServer;
  let app: SlackTestApp;

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
    const target = new URL(database.url);
    proxy = await MysqlProxy.start({ host: target.hostname, port: Number(target.port || 3306) });
    smtp = await TestSmtpServer.start();
    app = await startSlackTestApp(
      proxy.urlFor(database.url),
      { SMTP_URL: smtp.url, MAIL_FROM: 'ticketbot <ticketbot@example.com>', CLAIM_SECONDS: '3' },
      process.env.DEBUG_OUTAGE ? createLogger('warn') : undefined,
      {
        beforeStart: (slack) =>
          slack.addUser(TECHNICIAN, { name: 'Tom Tech', email: 'tom@example.com', locale: 'en-GB' }),
        start: { cardCatchUpMs: 1_000, inboxTimer: true },
      },
    );
  });
  afterAll(async () => {
    await app?.stop();
    await proxy?.stop();
    await smtp?.close();
    await database?.drop();
  });

  const db = (): Database => database.db;
  const readyz = () => fetch(`${app.bot.url}/readyz`).then((res) => res.status);
  const replyTo = (card: Card, text: string, n: number) => {
    const ts = `${card.ts.split('.')[0]}${n}.000001`;
    return {
      type: 'message',
      channel: card.channel,
      channel_type: 'channel',
      user: TECHNICIAN,
      text,
      ts,
      thread_ts: card.ts,
      parent_user_id: app.slack.botUserId,
      event_ts: ts,
    };
  };
  const modalValues = (title: string) => ({
    title: { title: { type: 'plain_text_input', value: title } },
    priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
    technician: { technician: { type: 'static_select', selected_option: { value: TECHNICIAN } } },
  });

  it('answers every request while it is away, and applies each one once when it is back', async () => {
    const card = await app.createTicket(REQUESTER, 'Before the outage', modalValues('Before the outage'));
    // A modal opened before the outage, submitted during it.
    const opens = app.slack.callsTo('views.open').length;
    expect((await app.command(REQUESTER, 'During the outage')).status).toBe(200);
    const opened = await app.slack.waitFor(
      (calls) => calls.filter((c) => c.method === 'views.open')[opens],
      'views.open',
    );
    expect(await readyz()).toBe(200);

    proxy.cut();
    const cutAt = Date.now();

    // The submission: the error on the modal, its text kept, in time.
    const submitted = await app.submitView(REQUESTER, opened, modalValues('During the outage'));
    expect(submitted.status).toBe(200);
    expect(JSON.parse(submitted.text)).toEqual({
      response_action: 'errors',
      errors: { title: en('errorTryAgain') },
    });
    // The click: acknowledged, and an ephemeral saying to try again.
    const ephemerals = app.slack.callsTo('chat.postEphemeral').length;
    expect((await app.click(TECHNICIAN, card, ACTION_START)).status).toBe(200);
    const told = await app.slack.waitFor(
      (calls) => calls.filter((c) => c.method === 'chat.postEphemeral')[ephemerals],
      'the ephemeral',
    );
    expect(told.args).toMatchObject({
      channel: card.channel,
      user: TECHNICIAN,
      text: en('refused.tryAgain'),
    });
    // The thread reply: not acknowledged, so Slack sends it again.
    const reply = replyTo(card, 'sent during the outage', 5);
    expect((await app.event(reply)).status).not.toBe(200);
    // The load balancer hears the process is not ready.
    expect(await readyz()).toBe(503);
    // The background work meets the outage too: drains, catch-ups, heartbeats, roster reloads.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await readyz()).toBe(503);

    proxy.restore();
    await until(readyz, (status) => status === 200, 'ready again');
    const outageMs = Date.now() - cutAt;

    // The person's second click and second submission of the same modal, and Slack's retry of
    // the event, all go through now. (The click first: it was made on the card as it was shown,
    // before the reply, which moves the ticket on.)
    expect((await app.click(TECHNICIAN, card, ACTION_START)).status).toBe(200);
    const again = await app.submitView(REQUESTER, opened, modalValues('During the outage'));
    expect(again.status).toBe(200);
    expect(again.text).toBe('');
    await until(
      async () => (await db().models.Ticket.findOne({ where: { title: 'Before the outage' } }))?.status,
      (status) => status === 'in_progress',
      'the click applied',
    );
    expect((await app.event(reply, { retryNum: 1 })).status).toBe(200);

    const before = (await ticketOfCard(db(), card.ts))!;
    await until(
      async () => {
        const ticket = await db().models.Ticket.findByPk(before.id);
        const comments = await db().models.Comment.count({ where: { ticketId: before.id } });
        return ticket?.status === 'in_progress' && comments === 1;
      },
      Boolean,
      'the click and the reply applied',
    );
    const started = await db().models.TicketEvent.count({
      where: { ticketId: before.id, type: 'status_changed' },
    });
    expect(started).toBe(1);
    const comments = await db().models.Comment.findAll({ where: { ticketId: before.id } });
    expect(comments.map((c) => c.body)).toEqual(['sent during the outage']);

    // One ticket for the modal submitted twice, with its card posted once.
    const during = await db().models.Ticket.findAll({ where: { title: 'During the outage' } });
    expect(during).toHaveLength(1);
    await until(
      () => db().models.SlackCard.findByPk(during[0]!.id),
      (card) => card?.messageTs != null && card.leaseUntil === null,
      'the card of the ticket submitted again',
    );
    for (const title of ['Before the outage', 'During the outage'])
      expect(app.slack.messagesIn(card.channel).filter((m) => m.text.includes(title))).toHaveLength(1);
    // Every email owed is sent, once.
    const rows = await until(
      () => db().models.EmailOutbox.findAll(),
      (found) => found.length > 0 && found.every((row) => row.status === 'sent'),
      'every email sent',
    );
    const ids = smtp.messageIds();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(rows.map((row) => row.messageId).sort());
    // Nothing in the inbox failed or is left waiting, but the click answered "try again" is
    // not in it at all (its record never landed).
    const [left] = await db().sequelize.query(
      'SELECT COUNT(*) AS n FROM slack_inbox WHERE applied_at IS NULL',
    );
    expect(Number((left as Array<{ n: number }>)[0]!.n)).toBe(0);
    process.stdout.write(`[database outage] database away for ${(outageMs / 1000).toFixed(1)} s\n`);
  }, 120_000);
});
