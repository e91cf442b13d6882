import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import type { Ticketbot } from '../../src/server.js';
import { ACTION_START } from '../../src/slack/blocks/ids.js';
import { createTestDatabase, databaseKinds } from '../support/db.js';
import { FakeSlack } from '../support/slackApi.js';
import {
  ADMIN,
  BOT_TOKEN,
  type Card,
  HELPDESK,
  REQUESTER,
  SECOND_TECHNICIAN,
  SIGNING_SECRET,
  SlackTestApp,
  TECHNICIAN,
} from '../support/slackApp.js';
import { ticketOfCard } from '../support/slackCards.js';
import { freePort } from '../web/support.js';

// A ticketbot process killed (SIGKILL: a crash, an out-of-memory kill) with clicks and thread
// replies acknowledged to Slack and still waiting their turn: the process started after it
// applies every one of them, once, from the inbox (src/slack/inbox.ts).

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const MAIN = join(process.cwd(), 'src', 'main.ts');
const mysql = databaseKinds().find((kind) => kind.kind === 'mysql')!;

async function until<T>(read: () => Promise<T> | T, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(mysql.skipReason !== '')('a process killed with acknowledged work queued [mysql]', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let slack: FakeSlack;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
    slack = await FakeSlack.start();
    slack.addUser(REQUESTER, { name: 'Rita Requester', email: 'rita@example.com', locale: 'en-US' });
    slack.addUser(TECHNICIAN, { name: 'Tom Tech', locale: 'en-GB' });
    slack.addUser(SECOND_TECHNICIAN, { name: 'Tess Tech', locale: 'en-US' });
    slack.addUser(ADMIN, { name: 'Ada Admin', locale: 'en-US' });
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await slack?.stop();
    await database?.drop();
  });

  /** ticketbot as its own process, the way `npm start` runs it, on the test's database and Slack. */
  async function startProcess(): Promise<{ child: ChildProcess; app: SlackTestApp; output: () => string }> {
    const port = await freePort();
    const child = spawn(TSX, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'test',
        PORT: String(port),
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'warn',
        DATABASE_URL: database.url,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.url,
        HELPDESK_CHANNEL_ID: HELPDESK,
        TECHNICIAN_USER_IDS: `${TECHNICIAN},${SECOND_TECHNICIAN}`,
        ADMIN_USER_IDS: ADMIN,
        // A dead process's work is taken over within 3 s and a third more.
        CLAIM_SECONDS: '3',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const url = `http://127.0.0.1:${port}`;
    await until(
      () =>
        fetch(`${url}/readyz`).then(
          (res) => res.status === 200,
          () => false,
        ),
      Boolean,
      `ticketbot on ${url} (${output})`,
    );
    const bot = { url, db: database.db } as unknown as Ticketbot;
    return { child, app: new SlackTestApp(bot, slack), output: () => output };
  }

  const db = (): Database => database.db;
  async function waitingInInbox(): Promise<number> {
    const [rows] = await db().sequelize.query(
      'SELECT COUNT(*) AS n FROM slack_inbox WHERE applied_at IS NULL',
    );
    return Number((rows as Array<{ n: number }>)[0]!.n);
  }

  it('applies every click and thread reply the killed process had acknowledged, each once', async () => {
    const first = await startProcess();
    const cards: Card[] = [];
    for (let i = 0; i < 6; i++) cards.push(await first.app.createTicket(REQUESTER, `Outage ${i}`));
    await db().sequelize.query('DELETE FROM slack_inbox');

    // Slack stops answering card updates: the process's background turns fill up with them, and
    // the clicks and replies acknowledged after them wait in its memory.
    const holds = Array.from({ length: 12 }, () => slack.hold('chat.update'));
    const replyTo = (card: Card) => {
      const ts = `${card.ts.split('.')[0]}5.000001`;
      return {
        type: 'message',
        channel: card.channel,
        channel_type: 'channel',
        user: TECHNICIAN,
        text: `looking at ${card.ts}`,
        ts,
        thread_ts: card.ts,
        parent_user_id: slack.botUserId,
        event_ts: ts,
      };
    };
    // The first four clicks' card updates take the process's four background turns...
    for (const card of cards.slice(0, 4))
      expect((await first.app.click(TECHNICIAN, card, ACTION_START)).status).toBe(200);
    await Promise.all(holds.slice(0, 4).map((hold) => hold.arrived));
    // ...so everything acknowledged after them waits in its memory.
    for (const card of cards.slice(4))
      expect((await first.app.click(TECHNICIAN, card, ACTION_START)).status).toBe(200);
    for (const card of cards) expect((await first.app.event(replyTo(card))).status).toBe(200);
    const waiting = await waitingInInbox();
    // What this test is about: acknowledged requests not applied yet when the process dies.
    expect(waiting).toBe(8);

    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    for (const hold of holds) hold.release();

    const second = await startProcess();
    await until(waitingInInbox, (n) => n === 0, 'the inbox applied by the next process');
    for (const card of cards) {
      const ticket = await ticketOfCard(db(), card.ts);
      expect(ticket!.status).toBe('in_progress');
      const started = await db().models.TicketEvent.count({
        where: { ticketId: ticket!.id, type: 'status_changed' },
      });
      expect(started).toBe(1);
      const comments = await db().models.Comment.findAll({ where: { ticketId: ticket!.id } });
      expect(comments.map((c) => c.body)).toEqual([`looking at ${card.ts}`]);
    }
    const [failed] = await db().sequelize.query(
      'SELECT COUNT(*) AS n FROM slack_inbox WHERE failed_reason IS NOT NULL',
    );
    expect(Number((failed as Array<{ n: number }>)[0]!.n)).toBe(0);
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
  }, 180_000);
});
