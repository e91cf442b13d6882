import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlReadOnce } from '../../src/db/sql.js';
import { createTestDatabase } from '../support/db.js';
import { GaleraControl } from '../support/galeraControl.js';
import type { SlackCall } from '../support/slackApi.js';
import { REQUESTER, type SlackTestApp, startSlackTestApp } from '../support/slackApp.js';
import { texts } from '../support/texts.js';

// Issue 12 §5 end to end: two ticketbot replicas and the test Slack on the Galera cluster through
// haproxy, people opening tickets from the modal all along, the writing node killed mid-way.
// Each submission gets one of three answers, as Slack shows them to the person: closed (stored),
// the notice that ticketbot is making sure of it (its COMMIT was under way at the deadline), or
// the modal's "try again". Then: every closed or made-sure submission is stored once and gets one
// card, and no "try again" submission is stored.

const control = GaleraControl.fromEnvironment();
const say = (line: string) => process.stdout.write(`[galera modals] ${line}\n`);
const en = texts.slack('en');

type Answer = 'ok' | 'made sure' | 'try again' | 'other';

describe.skipIf(!control)(
  `modal submissions while the writer is killed${control ? '' : ' (skipped: run through npm run test:galera)'}`,
  () => {
    const cluster = control!;
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    const apps: SlackTestApp[] = [];
    beforeAll(async () => {
      await cluster.untilSynced();
      database = await createTestDatabase('mysql');
      const start = { cardCatchUpMs: 2_000 };
      apps.push(await startSlackTestApp(database.url, {}, undefined, { start }));
      apps.push(await startSlackTestApp(database.url, {}, undefined, { start, slack: apps[0]!.slack }));
    });
    afterAll(async () => {
      for (const app of apps) await app.stop().catch(() => undefined);
      await database?.drop().catch(() => undefined);
    });

    it('every submission answered closed or "making sure" is stored once with one card; none answered "try again" is', async () => {
      const slack = apps[0]!.slack;
      const answers = new Map<string, Answer>();
      const count = (answer: Answer) => [...answers.values()].filter((each) => each === answer).length;
      const acks: number[] = [];
      let stop = false;
      let next = 0;
      const submitter = async (index: number) => {
        const app = apps[index % 2]!;
        while (!stop) {
          const title = `Galera modal ${next++}`;
          const opens = slack.callsTo('views.open').length;
          const command = await app.command(REQUESTER, title).catch(() => undefined);
          if (command?.status !== 200) continue;
          const opened: SlackCall = await slack.waitFor(
            (calls) =>
              calls
                .filter((c) => c.method === 'views.open')
                .slice(opens)
                .find((c) => JSON.stringify(c.args.view).includes(title)),
            'views.open',
          );
          const sent = Date.now();
          const answer = await app.submitView(REQUESTER, opened, {
            title: { title: { type: 'plain_text_input', value: title } },
            priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
          });
          acks.push(Date.now() - sent);
          let kind: Answer = 'other';
          if (answer.status === 200 && answer.text === '') kind = 'ok';
          else if (answer.status === 200) {
            const body = JSON.parse(answer.text) as {
              response_action?: string;
              errors?: Record<string, string>;
            };
            if (body.response_action === 'update' && answer.text.includes('making sure')) kind = 'made sure';
            else if (body.errors?.title === en('errorTryAgain')) kind = 'try again';
          }
          answers.set(title, kind);
          if (kind !== 'ok') await sleep(50);
        }
      };
      const writer = await cluster.routedTo();
      const submitters = Array.from({ length: 6 }, (_, i) => submitter(i));
      const deadline = Date.now() + 180_000;
      while (count('ok') < 40 && Date.now() < deadline) await sleep(20);
      const beforeKill = count('ok');
      await cluster.kill(writer);
      while (count('ok') < beforeKill + 40 && Date.now() < deadline) await sleep(20);
      stop = true;
      await Promise.all(submitters);
      acks.sort((a, b) => a - b);
      const at = (q: number) => acks[Math.min(acks.length - 1, Math.floor(q * acks.length))];
      say(
        `killed ${writer} after ${beforeKill} ok; ${answers.size} submitted: ${count('ok')} ok, ` +
          `${count('made sure')} "making sure", ${count('try again')} "try again", ${count('other')} other; ` +
          `answer p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`,
      );
      expect(count('other')).toBe(0);
      expect(await cluster.routedTo()).not.toBe(writer);

      const promised = [...answers]
        .filter(([, kind]) => kind === 'ok' || kind === 'made sure')
        .map(([title]) => title);
      const refused = [...answers].filter(([, kind]) => kind === 'try again').map(([title]) => title);
      // A card starts with its header, "#<id> <title>".
      const cardsOf = (title: string) =>
        slack.callsTo('chat.postMessage').filter((c) => {
          const header = (
            c.args.blocks as Array<{ type: string; text?: { text?: string } }> | undefined
          )?.[0];
          return (
            c.response.ok &&
            header?.type === 'header' &&
            (header.text?.text ?? '').replace(/^#\d+ /, '') === title
          );
        }).length;
      // Every promised ticket's card, posted by whichever replica (made-sure ones catch up).
      await slack.waitFor(
        () => (promised.every((title) => cardsOf(title) > 0) ? true : undefined),
        'a card for every promised ticket',
        180_000,
      );
      const stored = await sqlReadOnce<{ title: string; n: number }>(
        database.db,
        'SELECT title, COUNT(*) AS n FROM tickets GROUP BY title',
        [],
      );
      const storedCount = new Map(stored.map((row) => [row.title, Number(row.n)]));
      expect(promised.filter((title) => storedCount.get(title) !== 1)).toEqual([]);
      expect(refused.filter((title) => storedCount.has(title))).toEqual([]);
      expect(promised.filter((title) => cardsOf(title) !== 1)).toEqual([]);
      say(`${storedCount.size} stored, each once with one card; 0 of ${refused.length} "try again" stored`);
      await cluster.start(writer);
    });
  },
);
