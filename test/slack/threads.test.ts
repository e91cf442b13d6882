import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/db.js';
import { OTHER_USER, REQUESTER, TECHNICIAN, useSlackTestApp } from '../support/slackApp.js';

// Comments: thread replies (retries, edits, deletions, bots), the comment button, and what the thread shows.

describeEachDatabase('Slack: comments in the card thread', (suite) => {
  const app = useSlackTestApp(suite);

  const reply = (card: { channel: string; ts: string }, user: string, ts: string, text: string) => ({
    type: 'message',
    channel: card.channel,
    channel_type: 'channel',
    user,
    text,
    ts,
    thread_ts: card.ts,
    parent_user_id: app.slack.botUserId,
    event_ts: ts,
  });
  const ticketOf = (card: { ts: string }) =>
    suite.db.models.Ticket.findOne({ where: { slackMessageTs: card.ts } });
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

    // A comment as long as allowed, full of characters escaping lengthens, is copied whole.
    const longest = `${'a&b<c>'.repeat(499)}end!!!`;
    expect(longest).toHaveLength(3000);
    const again = await app.submitView(TECHNICIAN, opened, {
      comment: { comment: { type: 'plain_text_input', value: longest } },
    });
    expect(again.status).toBe(200);
    const copied = await app.slack.waitForCall(
      'chat.postMessage',
      (args) => args.thread_ts === card.ts && String(args.text).includes('a&amp;b&lt;c&gt;'),
    );
    expect(String(copied.args.text)).toContain(`${'a&amp;b&lt;c&gt;'.repeat(499)}end!!!`);
  });
});
