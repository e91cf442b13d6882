import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/db.js';
import {
  OTHER_USER,
  REQUESTER,
  startSlackTestApp,
  TECHNICIAN,
  useSlackTestApp,
} from '../support/slackApp.js';
import { ticketOfCard } from '../support/slackCards.js';

// Comments: thread replies (retries, edits, deletions, bots), the comment button, and what the thread shows.

describeEachDatabase('Slack: comments in the card thread', (suite) => {
  const app = useSlackTestApp(suite);

  const reply = (card: { channel: string; ts: string }, user: string, ts: string, text: string) =>
    app.threadReply(card, user, ts, text);
  const ticketOf = (card: { ts: string }) => ticketOfCard(suite.db, card.ts);
  async function commentsOf(card: { ts: string }) {
    const ticket = await ticketOf(card);
    const comments = await suite.db.models.Comment.findAll({
      where: { ticketId: ticket!.id },
      order: [['id', 'ASC']],
    });
    return comments.map((c) => ({
      author: c.authorId,
      body: c.body,
      slackTs: c.slackTs,
      deleted: c.deletedAt !== null,
    }));
  }
  /** Waits until what Slack was told is received has been handled (listeners and what they set off). */
  const settled = () => app.bot.slack!.settled();
  const ephemeralsTo = (user: string, card: { ts: string }) =>
    app.slack
      .callsTo('chat.postEphemeral')
      .filter((call) => call.args.user === user && call.args.thread_ts === card.ts)
      .map((call) => String(call.args.text));
  const commentEmails = async (card: { ts: string }) => {
    const ticket = await ticketOf(card);
    return suite.db.models.EmailOutbox.findAll({
      where: { ticketId: ticket!.id, template: 'ticket_commented' },
    });
  };
  const edit = (
    card: { channel: string; ts: string },
    user: string,
    ts: string,
    text: string,
    editedTs: string | undefined,
  ) => ({
    type: 'message',
    subtype: 'message_changed',
    channel: card.channel,
    hidden: true,
    ts: editedTs ?? `${ts.split('.')[0]}9.000000`,
    message: {
      type: 'message',
      user,
      text,
      ts,
      thread_ts: card.ts,
      ...(editedTs ? { edited: { user, ts: editedTs } } : {}),
    },
    previous_message: { type: 'message', user, text: 'before', ts, thread_ts: card.ts },
  });
  const deletion = (card: { channel: string; ts: string }, user: string, ts: string, text: string) => ({
    type: 'message',
    subtype: 'message_deleted',
    channel: card.channel,
    hidden: true,
    ts: `${ts.split('.')[0]}9.000000`,
    deleted_ts: ts,
    previous_message: { type: 'message', user, text, ts, thread_ts: card.ts },
  });

  async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
    let value = await read();
    for (let i = 0; i < 200 && !ok(value); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      value = await read();
    }
    return value;
  }

  it('stores a reply as a comment once, even when Slack retries the event', async () => {
    const card = await app.createTicket(REQUESTER, 'Laptop slow');
    const event = reply(
      card,
      TECHNICIAN,
      '1700000100.000100',
      'Restart it &amp; tell me &lt;please&gt;, see <https://kb.example.com/42|the KB> cc <@U0ADMIN001>',
    );
    expect((await app.event(event)).status).toBe(200);
    expect((await app.event(event, { retryNum: 1 })).status).toBe(200);
    expect((await app.event(event, { retryNum: 2 })).status).toBe(200);
    const comments = await until(
      () => commentsOf(card),
      (c) => c.length >= 1,
    );
    await app.slack.waitForCall(
      'chat.update',
      (args) => args.ts === card.ts && JSON.stringify(args.blocks).includes('commented'),
    );
    expect(comments).toEqual([
      {
        author: TECHNICIAN,
        body: 'Restart it & tell me <please>, see the KB (https://kb.example.com/42) cc @Ada Admin',
        slackTs: '1700000100.000100',
        deleted: false,
      },
    ]);
  });

  it('follows an edited and a deleted reply', async () => {
    const card = await app.createTicket(REQUESTER, 'Mail bounces');
    await app.event(reply(card, REQUESTER, '1700000200.000200', 'first draft'));
    await until(
      () => commentsOf(card),
      (c) => c.length === 1,
    );
    await app.event({
      type: 'message',
      subtype: 'message_changed',
      channel: card.channel,
      hidden: true,
      ts: '1700000201.000000',
      message: {
        type: 'message',
        user: REQUESTER,
        text: 'final words',
        ts: '1700000200.000200',
        thread_ts: card.ts,
        edited: { user: REQUESTER, ts: '1700000201.000000' },
      },
      previous_message: {
        type: 'message',
        user: REQUESTER,
        text: 'first draft',
        ts: '1700000200.000200',
        thread_ts: card.ts,
      },
    });
    expect(
      await until(
        () => commentsOf(card),
        (c) => c[0]?.body === 'final words',
      ),
    ).toMatchObject([{ body: 'final words' }]);
    await app.event({
      type: 'message',
      subtype: 'message_deleted',
      channel: card.channel,
      hidden: true,
      ts: '1700000202.000000',
      deleted_ts: '1700000200.000200',
      previous_message: {
        type: 'message',
        user: REQUESTER,
        text: 'final words',
        ts: '1700000200.000200',
        thread_ts: card.ts,
      },
    });
    expect(
      await until(
        () => commentsOf(card),
        (c) => c[0]?.deleted === true,
      ),
    ).toMatchObject([{ deleted: true }]);
  });

  it('an edit that leaves the text as it was (a link unfurled, a retried edit) changes nothing', async () => {
    const card = await app.createTicket(REQUESTER, 'Wiki down');
    const text = 'see <https://wiki.example.com>';
    await app.event(reply(card, REQUESTER, '1700000250.000250', text));
    await until(
      () => commentsOf(card),
      (c) => c.length === 1,
    );
    const ticket = await ticketOf(card);
    const version = ticket!.version;
    // What Slack sends once it has unfurled the link: the same text, attachments added, no `edited`.
    const unfurled = {
      type: 'message',
      subtype: 'message_changed',
      channel: card.channel,
      hidden: true,
      ts: '1700000251.000000',
      message: {
        type: 'message',
        user: REQUESTER,
        text,
        ts: '1700000250.000250',
        thread_ts: card.ts,
        attachments: [{ from_url: 'https://wiki.example.com', title: 'Wiki' }],
      },
      previous_message: {
        type: 'message',
        user: REQUESTER,
        text,
        ts: '1700000250.000250',
        thread_ts: card.ts,
      },
    };
    expect((await app.event(unfurled)).status).toBe(200);
    expect((await app.event(unfurled, { retryNum: 1 })).status).toBe(200);
    // A later reply shows the events above were handled before it.
    await app.event(reply(card, REQUESTER, '1700000252.000252', 'still down'));
    await until(
      () => commentsOf(card),
      (c) => c.length === 2,
    );
    const events = await suite.db.models.TicketEvent.findAll({ where: { ticketId: ticket!.id } });
    expect(events.map((e) => e.type)).not.toContain('comment_edited');
    expect((await ticketOf(card))!.version).toBe(version + 1);
    const [first] = await suite.db.models.Comment.findAll({ where: { slackTs: '1700000250.000250' } });
    expect(first!.editedAt).toBeNull();
  });

  it('ignores its own posts, other bots, top-level messages and threads that are not cards', async () => {
    const card = await app.createTicket(REQUESTER, 'Ignore me');
    await app.event({
      ...reply(card, app.slack.botUserId, '1700000300.000001', 'from ticketbot'),
      bot_id: app.slack.botId,
    });
    await app.event({ ...reply(card, 'U0OTHERBOT', '1700000300.000002', 'from a bot'), bot_id: 'B0OTHER' });
    await app.event({
      type: 'message',
      subtype: 'bot_message',
      channel: card.channel,
      bot_id: 'B0OTHER',
      text: 'x',
      ts: '1700000300.000003',
      thread_ts: card.ts,
    });
    await app.event({
      type: 'message',
      channel: card.channel,
      user: REQUESTER,
      text: 'top level',
      ts: '1700000300.000004',
    });
    await app.event({
      ...reply(card, REQUESTER, '1700000300.000005', 'elsewhere'),
      thread_ts: '1600000000.000001',
    });
    // A last reply that does count, sent after the others: only it becomes a comment.
    await app.event(reply(card, REQUESTER, '1700000300.000006', 'counted'));
    const comments = await until(
      () => commentsOf(card),
      (c) => c.length >= 1,
    );
    expect(comments.map((c) => c.body)).toEqual(['counted']);
  });

  it('tells someone who may not comment, in the thread, and stores nothing', async () => {
    const card = await app.createTicket(REQUESTER, 'Private matter');
    await app.event(reply(card, OTHER_USER, '1700000400.000001', 'me too'));
    const ephemeral = await app.slack.waitForCall('chat.postEphemeral', (args) => args.user === OTHER_USER);
    expect(ephemeral.args).toMatchObject({ channel: card.channel, thread_ts: card.ts });
    expect(await commentsOf(card)).toEqual([]);
  });

  it('tells someone who may not comment once, even when Slack retries their reply', async () => {
    const card = await app.createTicket(REQUESTER, 'Retried refusal');
    const event = reply(card, OTHER_USER, '1700000450.000001', 'me too');
    await app.event(event);
    await app.event(event, { retryNum: 1 });
    await app.event(event, { retryNum: 2 });
    // A later refused reply, then a pause: the deliveries above have been handled by then.
    await app.event(reply(card, OTHER_USER, '1700000450.000002', 'and me'));
    const toldOf = () =>
      app.slack
        .callsTo('chat.postEphemeral')
        .filter((call) => call.args.user === OTHER_USER && call.args.thread_ts === card.ts);
    await app.slack.waitFor(() => toldOf().length >= 2, 'the explanations');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const told = toldOf();
    expect(told).toHaveLength(2);
  });

  it('the Add comment button opens a modal; the comment is stored and posted in the thread', async () => {
    const card = await app.createTicket(REQUESTER, 'Need a cable');
    const opensBefore = app.slack.callsTo('views.open').length;
    await app.click(TECHNICIAN, card, 'ticket_comment');
    const opened = await app.slack.waitFor(
      (calls) => calls.filter((c) => c.method === 'views.open')[opensBefore],
      'comment modal',
    );
    expect(opened.args.view).toMatchObject({ callback_id: 'add_comment' });
    const empty = await app.submitView(TECHNICIAN, opened, {
      comment: { comment: { type: 'plain_text_input', value: '  ' } },
    });
    expect(empty.json()).toMatchObject({
      response_action: 'errors',
      errors: { comment: expect.any(String) },
    });
    const ok = await app.submitView(TECHNICIAN, opened, {
      comment: { comment: { type: 'plain_text_input', value: 'On its way <!channel>' } },
    });
    expect(ok.status).toBe(200);
    const posted = await app.slack.waitForCall('chat.postMessage', (args) => args.thread_ts === card.ts);
    expect(String(posted.args.text)).toContain('On its way &lt;!channel&gt;');
    expect(String(posted.args.text)).not.toContain('<!channel>');
    expect(await commentsOf(card)).toEqual([
      { author: TECHNICIAN, body: 'On its way <!channel>', slackTs: null, deleted: false },
    ]);

    // A comment as long as the modal allows, full of characters escaping lengthens, is copied whole.
    const longest = `${'a&b<c>'.repeat(499)}end!!!`;
    expect(longest).toHaveLength(3000);
    await app.click(TECHNICIAN, card, 'ticket_comment');
    const second = await app.slack.waitFor(
      (calls) => calls.filter((c) => c.method === 'views.open')[opensBefore + 1],
      'a second comment modal',
    );
    const again = await app.submitView(TECHNICIAN, second, {
      comment: { comment: { type: 'plain_text_input', value: longest } },
    });
    expect(again.status).toBe(200);
    const copied = await app.slack.waitForCall(
      'chat.postMessage',
      (args) => args.thread_ts === card.ts && String(args.text).includes('a&amp;b&lt;c&gt;'),
    );
    expect(String(copied.args.text)).toContain(`${'a&amp;b&lt;c&gt;'.repeat(499)}end!!!`);
  });
  it('stores a reply far longer than 3,000 characters whole: 40,000 emoji, and its email is queued', async () => {
    const card = await app.createTicket(REQUESTER, 'Log dump');
    const text = `${'😀'.repeat(39_990)} the end`;
    expect((await app.event(reply(card, TECHNICIAN, '1700000500.000001', text))).status).toBe(200);
    await settled();
    expect(await commentsOf(card)).toEqual([
      { author: TECHNICIAN, body: text, slackTs: '1700000500.000001', deleted: false },
    ]);
    const emails = await commentEmails(card);
    expect(emails).toHaveLength(1);
    expect(JSON.parse(emails[0]!.data).comment.body).toBe(text);
    expect(ephemeralsTo(TECHNICIAN, card)).toEqual([]);
  });

  it('tells the author, once, when a reply or an edit is too long for a comment, or has no text', async () => {
    const card = await app.createTicket(REQUESTER, 'Too much');
    const tooLong = 'x'.repeat(50_001);
    const long = reply(card, REQUESTER, '1700000600.000001', tooLong);
    await app.event(long);
    await app.event(long, { retryNum: 1 });
    // A file with no words.
    await app.event({
      ...reply(card, REQUESTER, '1700000600.000002', ''),
      subtype: 'file_share',
      files: [{ id: 'F0SCREEN01', name: 'screenshot.png', mimetype: 'image/png' }],
      upload: false,
    });
    await app.event(reply(card, REQUESTER, '1700000600.000003', 'short enough'));
    await settled();
    await app.event(edit(card, REQUESTER, '1700000600.000003', tooLong, '1700000601.000000'));
    await settled();
    expect(await commentsOf(card)).toEqual([
      { author: REQUESTER, body: 'short enough', slackTs: '1700000600.000003', deleted: false },
    ]);
    // The deliveries above were handled side by side: in no particular order.
    const told = ephemeralsTo(REQUESTER, card).sort();
    expect(told).toHaveLength(3);
    expect(told[0]).toContain('Only text becomes a comment, and this reply has none');
    expect(told[1]).toContain('This reply is longer than a comment can be (50,000 characters)');
    expect(told[2]).toContain('Your edit makes the reply longer than a comment can be');
  });

  it('tells the author to post again when the database fails, once even when Slack retries', async () => {
    const card = await app.createTicket(REQUESTER, 'Database trouble');
    await suite.db.sequelize.query(
      suite.kind === 'mysql'
        ? "CREATE TRIGGER refuse_comments BEFORE INSERT ON comments FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the disk is full'"
        : "CREATE TRIGGER refuse_comments BEFORE INSERT ON comments BEGIN SELECT RAISE(ABORT, 'the disk is full'); END",
    );
    try {
      const event = reply(card, REQUESTER, '1700000700.000001', 'please help');
      await app.event(event);
      await app.event(event, { retryNum: 1 });
      await settled();
    } finally {
      await suite.db.sequelize.query('DROP TRIGGER refuse_comments');
    }
    expect(await commentsOf(card)).toEqual([]);
    const told = ephemeralsTo(REQUESTER, card);
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('did not record this reply. Post it again in a moment.');
  });

  it('a deletion handled before its reply: the reply, arriving after, is never stored nor emailed', async () => {
    const card = await app.createTicket(REQUESTER, 'Oops');
    const ts = '1700000800.000001';
    const pasted = 'my password is hunter2';
    // Two replicas: the one given the deletion got there first.
    await app.event(deletion(card, TECHNICIAN, ts, pasted));
    await settled();
    await app.event(reply(card, TECHNICIAN, ts, pasted));
    await settled();
    expect(await commentsOf(card)).toEqual([{ author: TECHNICIAN, body: '', slackTs: ts, deleted: true }]);
    expect(await commentEmails(card)).toEqual([]);
    const stored = await suite.db.models.Comment.findAll({ where: { slackTs: ts } });
    expect(stored.map((c) => c.body)).toEqual(['']);
  });

  // Not on SQLite: two processes on one SQLite file wait for each other's write lock past the
  // 2.5 s a request may take to be recorded before Slack's 3 s are up (src/slack/deadline.ts), so
  // Slack's own retries are refused too while the race lasts. Several processes need MySQL/MariaDB
  // (README, "MySQL or MariaDB").
  it.skipIf(suite.kind === 'sqlite')(
    'two processes, one given the reply and one its deletion at once: the comment ends deleted, without its text',
    async () => {
      const card = await app.createTicket(REQUESTER, 'Race');
      const other = await startSlackTestApp(suite.url);
      try {
        const rounds = Array.from({ length: 8 }, (_, i) => `1700000850.00000${i}`);
        // An event the process could not record in time is not acknowledged, and Slack sends it
        // again, up to three times (https://docs.slack.dev/apis/events-api/#retries).
        // (An unacknowledged request may also end with its connection closed.)
        const delivered = async (to: typeof app, event: Record<string, unknown>) => {
          const send = (retryNum?: number) =>
            to.event(event, retryNum ? { retryNum } : undefined).then(
              (answer) => answer.status,
              () => 0,
            );
          let status = await send();
          for (let retryNum = 1; status !== 200 && retryNum <= 3; retryNum++) status = await send(retryNum);
          expect(status).toBe(200);
        };
        await Promise.all(
          rounds.flatMap((ts) => [
            delivered(app, reply(card, TECHNICIAN, ts, `secret ${ts}`)),
            delivered(other, deletion(card, TECHNICIAN, ts, `secret ${ts}`)),
          ]),
        );
        await Promise.all([settled(), other.bot.slack!.settled()]);
        // An attempt that met the other process's write lock waits in the inbox for a retry
        // (src/slack/inbox.ts): the catch-ups of both (their timers are off in tests) apply it.
        for (let round = 0; round < 5; round++) {
          const [rows] = await suite.db.sequelize.query(
            'SELECT COUNT(*) AS n FROM slack_inbox WHERE applied_at IS NULL AND failed_reason IS NULL',
          );
          if (Number((rows as Array<{ n: number }>)[0]!.n) === 0) break;
          await suite.db.sequelize.query(
            'UPDATE slack_inbox SET claim_until = :past WHERE applied_at IS NULL',
            {
              replacements: { past: new Date(Date.now() - 1000) },
            },
          );
          await Promise.all([app.bot.slack!.catchUpInbox(), other.bot.slack!.catchUpInbox()]);
          await Promise.all([settled(), other.bot.slack!.settled()]);
        }
      } finally {
        await other.stop();
      }
      const comments = await commentsOf(card);
      expect(comments).toHaveLength(8);
      expect(comments.filter((c) => !(c.deleted && c.body === ''))).toEqual([]);
      // Two processes on one SQLite file take turns for its one write lock: about a second here,
      // far longer on a machine busy with other suites.
    },
    120_000,
  );

  it('an edit handled before its reply, and an older edit after a newer one: the newest text wins', async () => {
    const card = await app.createTicket(REQUESTER, 'Second thoughts');
    const ts = '1700000900.000001';
    await app.event(edit(card, TECHNICIAN, ts, 'third version', '1700000903.000000'));
    await settled();
    await app.event(reply(card, TECHNICIAN, ts, 'first version'));
    await app.event(edit(card, TECHNICIAN, ts, 'second version', '1700000902.000000'));
    await settled();
    expect(await commentsOf(card)).toEqual([
      { author: TECHNICIAN, body: 'third version', slackTs: ts, deleted: false },
    ]);
    // One comment, one email, with the text as it stands.
    const emails = await commentEmails(card);
    expect(emails.map((e) => JSON.parse(e.data).comment.body)).toEqual(['third version']);
  });

  it('a deletion that names only the deleted message (no previous_message) still deletes its comment', async () => {
    const card = await app.createTicket(REQUESTER, 'Short deletion');
    const ts = '1700001000.000001';
    await app.event(reply(card, REQUESTER, ts, 'never mind'));
    await settled();
    // The example on Slack's message_deleted reference page, in this card's channel.
    const docs = JSON.parse(
      readFileSync(
        new URL('../fixtures/slack/payloads/event_callback_message_deleted_docs.json', import.meta.url),
        'utf8',
      ),
    ) as { event: Record<string, unknown> };
    await app.event({ ...docs.event, channel: card.channel, ts: '1700001001.000000', deleted_ts: ts });
    await settled();
    expect(await commentsOf(card)).toEqual([{ author: REQUESTER, body: '', slackTs: ts, deleted: true }]);
  });

  it('the Add comment modal submitted twice adds one comment and one email', async () => {
    const card = await app.createTicket(REQUESTER, 'Double click');
    const opensBefore = app.slack.callsTo('views.open').length;
    await app.click(TECHNICIAN, card, 'ticket_comment');
    const opened = await app.slack.waitFor(
      (calls) => calls.filter((c) => c.method === 'views.open')[opensBefore],
      'comment modal',
    );
    const values = { comment: { comment: { type: 'plain_text_input', value: 'Replacing the toner now' } } };
    const [first, repeat] = await Promise.all([
      app.submitView(TECHNICIAN, opened, values),
      app.submitView(TECHNICIAN, opened, values),
    ]);
    expect([first.status, repeat.status]).toEqual([200, 200]);
    expect([first.text, repeat.text]).toEqual(['', '']);
    await settled();
    expect(await commentsOf(card)).toEqual([
      { author: TECHNICIAN, body: 'Replacing the toner now', slackTs: null, deleted: false },
    ]);
    expect(await commentEmails(card)).toHaveLength(1);
    const copies = app.slack
      .callsTo('chat.postMessage')
      .filter((call) => call.args.thread_ts === card.ts && String(call.args.text).includes('toner'));
    expect(copies).toHaveLength(1);
  });
});
