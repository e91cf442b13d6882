import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { ACTION_CLOSE } from '../../src/slack/blocks/ids.js';
import { createTestDatabase, databaseKinds } from '../support/db.js';
import { FakeSlack } from '../support/slackApi.js';
import { ADMIN, REQUESTER, SECOND_TECHNICIAN, TECHNICIAN } from '../support/slackApp.js';
import { ticketOfCard } from '../support/slackCards.js';
import { startTicketbotProcess, type TicketbotProcess, until } from '../support/ticketbotProcess.js';

// A ticketbot process killed (SIGKILL: a crash, an out-of-memory kill) while it waited for Slack's
// answer to work a ticket change owed Slack (the rating prompt of a ticket just closed): Slack
// carried the post out, and nobody heard. The process started after it takes the work over from
// the Slack outbox once the dead process's claim runs out, finds the DM in its channel's history
// and records it, without posting it again (src/slack/outbox.ts).

for (const { kind, skipReason } of databaseKinds())
  describe.skipIf(skipReason !== '')(
    `a process killed while Slack work it owed was under way [${kind}]`,
    () => {
      let database: Awaited<ReturnType<typeof createTestDatabase>>;
      let slack: FakeSlack;
      const processes: TicketbotProcess[] = [];

      beforeAll(async () => {
        database = await createTestDatabase(kind);
        slack = await FakeSlack.start();
        slack.addUser(REQUESTER, { name: 'Rita Requester', email: 'rita@example.com', locale: 'en-US' });
        slack.addUser(TECHNICIAN, { name: 'Tom Tech', locale: 'en-GB' });
        slack.addUser(SECOND_TECHNICIAN, { name: 'Tess Tech', locale: 'en-US' });
        slack.addUser(ADMIN, { name: 'Ada Admin', locale: 'en-US' });
      });
      afterAll(async () => {
        for (const started of processes) await started.kill();
        await slack?.stop();
        await database?.drop();
      });

      /** ticketbot as its own process, the way `npm start` runs it, on the test's database and Slack. */
      async function startProcess(): Promise<TicketbotProcess> {
        const started = await startTicketbotProcess({
          databaseUrl: database.url,
          db: database.db,
          slack,
          // A dead process's work is taken over within 3 s and a third more.
          env: { CLAIM_SECONDS: '3' },
        });
        processes.push(started);
        return started;
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
