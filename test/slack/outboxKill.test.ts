import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import type { Ticketbot } from '../../src/server.js';
import { ACTION_CLOSE } from '../../src/slack/blocks/ids.js';
import { createTestDatabase, databaseKinds } from '../support/db.js';
import { FakeSlack } from '../support/slackApi.js';
import {
  ADMIN,
  BOT_TOKEN,
  HELPDESK,
  REQUESTER,
  SECOND_TECHNICIAN,
  SIGNING_SECRET,
  SlackTestApp,
  TECHNICIAN,
} from '../support/slackApp.js';
import { ticketOfCard } from '../support/slackCards.js';
import { freePort } from '../web/support.js';

// A ticketbot process killed (SIGKILL: a crash, an out-of-memory kill) while it waited for Slack's
// answer to work a ticket change owed Slack (the rating prompt of a ticket just closed): Slack
// carried the post out, and nobody heard. The process started after it takes the work over from
// the Slack outbox once the dead process's claim runs out, finds the DM in its channel's history
// and records it, without posting it again (src/slack/outbox.ts).

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const MAIN = join(process.cwd(), 'src', 'main.ts');

async function until<T>(read: () => Promise<T> | T, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

for (const { kind, skipReason } of databaseKinds())
  describe.skipIf(skipReason !== '')(
    `a process killed while Slack work it owed was under way [${kind}]`,
    () => {
      let database: Awaited<ReturnType<typeof createTestDatabase>>;
      let slack: FakeSlack;
      const children: ChildProcess[] = [];

      beforeAll(async () => {
        database = await createTestDatabase(kind);
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
      async function startProcess(): Promise<{
        child: ChildProcess;
        app: SlackTestApp;
        output: () => string;
      }> {
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
      async function owed(): Promise<Array<{ kind: string; done: boolean; failed: string | null }>> {
        const [rows] = await db().sequelize.query(
          'SELECT kind, done_at AS doneAt, failed_reason AS failed FROM slack_outbox ORDER BY id',
        );
        return (rows as Array<{ kind: string; doneAt: unknown; failed: string | null }>).map((row) => ({
          kind: row.kind,
          done: row.doneAt !== null,
          failed: row.failed,
        }));
      }

      it('has the next process carry the work out, finding the DM that landed instead of posting it twice', async () => {
        const first = await startProcess();
        const card = await first.app.createTicket(REQUESTER, 'Killed mid-DM', {
          technician: { technician: { type: 'static_select', selected_option: { value: TECHNICIAN } } },
        });
        const ticket = (await ticketOfCard(db(), card.ts))!;
        const isPrompt = (args: Record<string, unknown>) =>
          JSON.stringify(args.blocks ?? []).includes(`"rating:${ticket.id}:1"`);
        const held = slack.hold('chat.postMessage', isPrompt);
        expect((await first.app.click(TECHNICIAN, card, ACTION_CLOSE)).status).toBe(200);
        await held.arrived;
        // What this test is about: the prompt is owed, and the killed process was holding it.
        expect(await owed()).toEqual([{ kind: 'rating_prompt', done: false, failed: null }]);

        first.child.kill('SIGKILL');
        await once(first.child, 'exit');
        // Slack carries the held post out: the DM is there, and its answer went nowhere.
        held.release();
        const requesterDm = `D${REQUESTER.slice(1)}`;
        const prompts = () =>
          slack.messagesIn(requesterDm).filter((m) => isPrompt(m as unknown as Record<string, unknown>));
        await until(
          () => prompts().length,
          (n) => n === 1,
          'the held prompt carried out',
        );

        const second = await startProcess();
        await until(
          owed,
          (rows) => rows.every((row) => row.done),
          'the outbox caught up by the next process',
        );
        expect(await owed()).toEqual([{ kind: 'rating_prompt', done: true, failed: null }]);
        expect(prompts()).toHaveLength(1);
        const posts = slack.calls.filter((call) => call.method === 'chat.postMessage' && isPrompt(call.args));
        expect(posts).toHaveLength(1);
        // The prompt found is recorded, so a reopening edits it.
        const [recorded] = await db().sequelize.query(
          `SELECT message_ts AS ts FROM slack_rating_prompts WHERE ticket_id = ${ticket.id}`,
        );
        expect((recorded as Array<{ ts: string }>).map((row) => row.ts)).toEqual([prompts()[0]!.ts]);
        second.child.kill('SIGTERM');
        await once(second.child, 'exit');
      }, 180_000);
    },
  );
