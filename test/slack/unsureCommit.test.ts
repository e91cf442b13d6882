import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseKinds } from '../support/db.js';
import { MysqlProxy } from '../support/mysqlProxy.js';
import type { SlackCall } from '../support/slackApi.js';
import { REQUESTER, type SlackTestApp, startSlackTestApp } from '../support/slackApp.js';
import { validateView } from '../support/slackBlockKit.js';
import { texts } from '../support/texts.js';

// Issue 12 §5: a modal submission must be stored and acknowledged, or neither. Slack waits three
// seconds for the answer (https://docs.slack.dev/interactivity/handling-user-interaction#acknowledgment_response);
// when the ticket's COMMIT is under way as that time runs out (the writing node killed or failing
// over mid-COMMIT), neither "stored" nor "try again" can be said truthfully. ticketbot then
// answers by replacing the modal (response_action "update", https://docs.slack.dev/surfaces/modals#updating_response)
// with a notice that it is making sure of the ticket, and sees to it that the ticket is stored
// once and gets its card and the requester's DM. A TCP relay holds the COMMIT, or drops its
// answer, and cuts the database off, at exactly that moment.

const mysql = databaseKinds().find((kind) => kind.kind === 'mysql')!;
const en = texts.slack('en');
const TICKET_INSERT = /^\s*INSERT INTO `?tickets`? /i;

describe.skipIf(mysql.skipReason !== '')(
  'a submission whose COMMIT is under way at the deadline [mysql]',
  () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let proxy: MysqlProxy;
    let app: SlackTestApp;

    beforeAll(async () => {
      database = await createTestDatabase('mysql');
      const target = new URL(database.url);
      proxy = await MysqlProxy.start({ host: target.hostname, port: Number(target.port || 3306) });
      app = await startSlackTestApp(proxy.urlFor(database.url), {}, undefined, {
        // A submission being made sure of is given back after 3 s of database outage here (ten
        // minutes in production).
        start: { cardCatchUpMs: 1_000, unsureSettleMs: 3_000 },
      });
    });
    afterAll(async () => {
      await app?.stop();
      await proxy?.stop();
      await database?.drop();
    });

    const open = async (title: string): Promise<SlackCall> => {
      const opens = app.slack.callsTo('views.open').length;
      expect((await app.command(REQUESTER, title)).status).toBe(200);
      return app.slack.waitFor(
        (calls) => calls.filter((c) => c.method === 'views.open')[opens],
        'views.open',
      );
    };
    const submit = (opened: SlackCall, title: string) =>
      app.submitView(REQUESTER, opened, {
        title: { title: { type: 'plain_text_input', value: title } },
        description: { description: { type: 'plain_text_input', value: `About ${title}` } },
        priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
      });
    const stored = (title: string) => database.db.models.Ticket.findAll({ where: { title } });
    // Cards start with a header block; the requester's DM is text with the card's link.
    const cardsOf = (title: string) =>
      app.slack
        .callsTo('chat.postMessage')
        .filter(
          (c) =>
            c.response.ok &&
            Array.isArray(c.args.blocks) &&
            (c.args.blocks as Array<{ type: string }>)[0]?.type === 'header' &&
            JSON.stringify(c.args.blocks).includes(title),
        );
    const requesterToldOf = async (title: string) => {
      const [ticket] = await stored(title);
      const channel = `D${REQUESTER.slice(1)}`; // what the test Slack's conversations.open answers
      return app.slack
        .callsTo('chat.postMessage')
        .filter(
          (c) =>
            c.response.ok && c.args.channel === channel && String(c.args.text).includes(`#${ticket!.id}`),
        );
    };
    const expectMadeSure = (answer: { status: number; text: string }) => {
      expect(answer.status).toBe(200);
      const body = JSON.parse(answer.text) as { response_action: string; view: unknown };
      expect(body.response_action).toBe('update');
      expect(validateView(body.view, 'modal')).toEqual([]);
      expect(JSON.stringify(body.view)).toContain(JSON.stringify(en('submissionBeingMadeSure')).slice(1, -1));
    };
    const untilOneCard = async (title: string) => {
      await app.slack.waitFor(() => (cardsOf(title).length > 0 ? true : undefined), `the card of "${title}"`);
      // Settled: the card posted once, and the ticket stored once.
      expect(cardsOf(title)).toHaveLength(1);
      expect(await stored(title)).toHaveLength(1);
      // The requester hears of it as of any new ticket, once.
      await app.slack.waitFor(
        async () => ((await requesterToldOf(title)).length > 0 ? true : undefined),
        'the DM',
      );
      expect(await requesterToldOf(title)).toHaveLength(1);
    };

    it('a COMMIT held past the deadline, then let through: answered "making sure", stored once, its card posted', async () => {
      const title = 'Held commit lands';
      const opened = await open(title);
      const trap = proxy.trapNextCommit('hold', TICKET_INSERT);
      const answering = submit(opened, title);
      await trap.arrived;
      const answer = await answering;
      expectMadeSure(answer);
      trap.release();
      await untilOneCard(title);
    });

    it('a COMMIT that never reached the server, the database away meanwhile: stored again under its key, once', async () => {
      const title = 'Held commit lost';
      const opened = await open(title);
      const trap = proxy.trapNextCommit('hold', TICKET_INSERT);
      const answering = submit(opened, title);
      await trap.arrived;
      // The server goes away with the COMMIT still in the relay: it never arrives, and the server
      // rolls back what the dead connection left.
      proxy.cut();
      trap.release();
      expectMadeSure(await answering);
      expect(await stored(title)).toHaveLength(0);
      proxy.restore();
      await untilOneCard(title);
    });

    it('a COMMIT that landed but whose answer was lost, the database away meanwhile: found by its key, once', async () => {
      const title = 'Commit answer lost';
      const opened = await open(title);
      const trap = proxy.trapNextCommit('drop-answer', TICKET_INSERT);
      const answering = submit(opened, title);
      await trap.arrived;
      // Let the COMMIT reach the server before everything else is cut off.
      await app.slack.waitFor(
        async () => ((await stored(title)).length > 0 ? true : undefined),
        'the commit',
      );
      proxy.cut();
      expectMadeSure(await answering);
      proxy.restore();
      await untilOneCard(title);
    });

    it('a submission whose statements are not done by the deadline is answered "try again" and never stored', async () => {
      const title = 'Never committed';
      const opened = await open(title);
      proxy.cut();
      const answer = await submit(opened, title);
      expect(JSON.parse(answer.text)).toEqual({
        response_action: 'errors',
        errors: { title: en('errorTryAgain') },
      });
      proxy.restore();
      // Well past the deadline and the catch-up: nothing of it was stored.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await stored(title)).toHaveLength(0);
      expect(cardsOf(title)).toHaveLength(0);
    });

    it('a database away for longer than ticketbot keeps trying: the person gets their text back by DM, nothing is stored', async () => {
      const title = 'Given back';
      const opened = await open(title);
      const trap = proxy.trapNextCommit('hold', TICKET_INSERT);
      const answering = submit(opened, title);
      await trap.arrived;
      proxy.cut();
      trap.release();
      expectMadeSure(await answering);
      const channel = `D${REQUESTER.slice(1)}`;
      const givenBack = await app.slack.waitFor(
        (calls) =>
          calls.find(
            (c) =>
              c.method === 'chat.postMessage' &&
              c.response.ok &&
              c.args.channel === channel &&
              String(c.args.text).includes(`*${title}*`),
          ),
        'the text given back',
        60_000,
      );
      expect(String(givenBack.args.text)).toContain(`About ${title}`);
      proxy.restore();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await stored(title)).toHaveLength(0);
      expect(cardsOf(title)).toHaveLength(0);
    }, 90_000);
  },
);
