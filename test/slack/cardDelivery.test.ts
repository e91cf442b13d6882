import { expect, it } from 'vitest';
import type { DatabaseSuite } from '../support/db.js';
import { describeEachDatabase } from '../support/db.js';
import { captureLogs } from '../support/logs.js';
import { HELPDESK, REQUESTER, TECHNICIAN, useSlackTestApp } from '../support/slackApp.js';
import { cardOf, ticketWithCard } from '../support/slackCards.js';

// A new ticket's card is posted after Slack has its acknowledgement, then the requester gets its
// link and a technician named at creation a DM. Slack's card record (slack_cards) keeps where the
// card should go and a lease on the whole delivery. When Slack cannot be reached (or answers anything but a refusal of
// the channel) the lease is given back at once; when the process dies first it runs out. Either
// way the next catch-up goes on where the delivery stopped: it looks in the channel's history for
// a card that may have landed before posting one, and sends only the DMs still owed.

const REQUESTER_DM = `D${REQUESTER.slice(1)}`;
const TECHNICIAN_DM = `D${TECHNICIAN.slice(1)}`;

describeEachDatabase('Slack: a card whose posting was interrupted is posted later', (suite) => {
  const app = useSlackTestApp(suite);

  const catchUp = () => app.bot.slack!.catchUpCards();
  const isCard = (title: string) => (args: Record<string, unknown>) =>
    args.channel === HELPDESK && String(args.text).includes(title);
  /** The cards the helpdesk channel really holds for `title` (what people see). */
  const cardsIn = (title: string) => app.slack.messagesIn(HELPDESK).filter((m) => m.text.includes(title));
  const dmsTo = (channel: string, ticketId: number) =>
    app.slack
      .callsTo('chat.postMessage')
      .filter(
        (c) => c.args.channel === channel && c.response.ok && String(c.args.text).includes(`#${ticketId}`),
      );

  async function submit(title: string, values: Record<string, Record<string, unknown>> = {}) {
    await app.command(REQUESTER, title);
    const opened = await app.slack.waitForCall('views.open', (a) => JSON.stringify(a.view).includes(title));
    const submitted = await app.submitView(REQUESTER, opened, {
      title: { title: { type: 'plain_text_input', value: title } },
      priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
      ...values,
    });
    expect(submitted.status).toBe(200);
    expect(submitted.text).toBe('');
  }

  /** Submits a ticket while every card post meets an outage; resolves once the card is given back. */
  async function submitDuringOutage(title: string) {
    app.slack.clear();
    app.slack.failHttpNext('chat.postMessage', 503, 1);
    await submit(title);
    return givenBack(title);
  }

  /** The ticket, once its failed delivery has given the lease back to the catch-up. */
  async function givenBack(title: string) {
    return app.slack.waitFor(async () => {
      const found = await ticketWithCard(suite.db, title);
      const lease = found?.card.leaseUntil;
      return lease && lease.getTime() <= Date.now() ? found.ticket : undefined;
    }, `the delivery of "${title}" given back to the catch-up`);
  }

  /** The ticket, once everything owed about it (card and DMs) is delivered. */
  function delivered(title: string) {
    return app.slack.waitFor(async () => {
      const found = await ticketWithCard(suite.db, title);
      return found && found.card.leaseUntil === null ? found.ticket : undefined;
    }, `the delivery of "${title}" finished`);
  }

  /** What a lease that ran out looks like (a crash, or five minutes of outage). */
  async function expireLease(ticketId: number) {
    await suite.db.models.SlackCard.update(
      { leaseUntil: new Date(Date.now() - 1000) },
      { where: { ticketId } },
    );
  }

  it('keeps the ticket and its destination through an outage, then posts the card and the link', async () => {
    const ticket = await submitDuringOutage('Posted after the outage');
    expect(await cardOf(suite.db, ticket.id)).toMatchObject({ channelId: HELPDESK, messageTs: null });
    // The post is tried once: the client never repeats a card post blindly.
    expect(
      app.slack.callsTo('chat.postMessage').filter((c) => isCard('Posted after the outage')(c.args)),
    ).toHaveLength(1);
    expect(dmsTo(REQUESTER_DM, ticket.id)).toHaveLength(0);

    // Slack is back: the next catch-up looks for the card first, then posts it, without waiting
    // for the lease to run out.
    app.slack.clear();
    expect(await catchUp()).toBe(1);
    const [looked] = app.slack.callsTo('conversations.history');
    expect(looked?.args).toMatchObject({ channel: HELPDESK, include_all_metadata: 'true' });
    const posted = app.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === HELPDESK);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.args.metadata).toEqual({
      event_type: 'ticket_card',
      event_payload: { ticket_id: ticket.id },
    });
    expect(await cardOf(suite.db, ticket.id)).toMatchObject({
      channelId: HELPDESK,
      messageTs: posted[0]!.response.ts,
      leaseUntil: null,
    });
    const [dm] = dmsTo(REQUESTER_DM, ticket.id);
    expect(String(dm?.args.text)).toContain(
      `/archives/${HELPDESK}/p${String(posted[0]!.response.ts).replace('.', '')}`,
    );

    // Delivered once: a later catch-up has nothing to do.
    expect(await catchUp()).toBe(0);
    expect(cardsIn('Posted after the outage')).toHaveLength(1);
    expect(dmsTo(REQUESTER_DM, ticket.id)).toHaveLength(1);
  });

  it('waits out a short rate limit (429, Retry-After) and then posts the card once', async () => {
    app.slack.clear();
    app.slack.failHttpNext('chat.postMessage', 429, 1);
    const card = await app.createTicket(REQUESTER, 'Posted after a rate limit');
    expect(card.channel).toBe(HELPDESK);
    const calls = app.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === HELPDESK);
    expect(calls.map((c) => c.response.httpStatus ?? 200)).toEqual([429, 200]);
    const ticket = await delivered('Posted after a rate limit');
    expect(await cardOf(suite.db, ticket.id)).toMatchObject({
      channelId: HELPDESK,
      messageTs: card.ts,
      leaseUntil: null,
    });
  });

  it('a Slack error that passes (internal_error, ratelimited…) gives the card back, and the catch-up posts it', async () => {
    // chat.postMessage's errors that are not refusals of the channel (docs.slack.dev).
    for (const error of [
      'internal_error',
      'fatal_error',
      'service_unavailable',
      'request_timeout',
      'ratelimited',
    ]) {
      const title = `Hiccup ${error}`;
      app.slack.clear();
      app.slack.failNext('chat.postMessage', error, 1, isCard(title));
      await submit(title);
      const ticket = await givenBack(title);
      expect(await cardOf(suite.db, ticket.id), error).toMatchObject({
        channelId: HELPDESK,
        messageTs: null,
      });
      expect(dmsTo(REQUESTER_DM, ticket.id), error).toHaveLength(0);

      expect(await catchUp(), error).toBe(1);
      expect(cardsIn(title), error).toHaveLength(1);
      expect(await cardOf(suite.db, ticket.id)).toMatchObject({
        messageTs: cardsIn(title)[0]!.ts,
        leaseUntil: null,
      });
      const told = dmsTo(REQUESTER_DM, ticket.id);
      expect(told, error).toHaveLength(1);
      expect(String(told[0]!.args.text)).not.toContain('could not post');
    }
  });

  it('gives the card back again when Slack is still down at the catch-up', async () => {
    const ticket = await submitDuringOutage('Still down at the catch-up');
    app.slack.clear();
    app.slack.failHttpNext('chat.postMessage', 503, 1);
    await expect(catchUp()).rejects.toThrow();
    expect(app.slack.callsTo('chat.postMessage')).toHaveLength(1);
    await givenBack('Still down at the catch-up');
    app.slack.clear();
    expect(await catchUp()).toBe(1);
    expect((await cardOf(suite.db, ticket.id))?.messageTs).toBe(cardsIn('Still down at the catch-up')[0]?.ts);
    expect(cardsIn('Still down at the catch-up')).toHaveLength(1);
  });

  it('a card that landed but whose address could not be recorded is found in the channel, not posted again', async () => {
    const title = 'Recorded later';
    await refuseRecordingCards(suite);
    try {
      app.slack.clear();
      await submit(title);
      await app.slack.waitForCall('chat.postMessage', isCard(title));
      await givenBack(title);
    } finally {
      await allowRecordingCards(suite);
    }
    const [first] = cardsIn(title);
    expect(first).toBeDefined();
    const ticket = (await suite.db.models.Ticket.findOne({ where: { title } }))!;
    expect((await cardOf(suite.db, ticket.id))?.messageTs).toBeNull();

    app.slack.clear();
    expect(await catchUp()).toBe(1);
    expect(app.slack.callsTo('chat.postMessage').filter((c) => isCard(title)(c.args))).toHaveLength(0);
    expect(cardsIn(title)).toHaveLength(1);
    expect(await cardOf(suite.db, ticket.id)).toMatchObject({
      channelId: HELPDESK,
      messageTs: first!.ts,
      leaseUntil: null,
    });
    // Replies in its thread are comments again: the card's address is the one people reply under.
    expect(String(dmsTo(REQUESTER_DM, ticket.id)[0]?.args.text)).toContain(`p${first!.ts.replace('.', '')}`);
  });

  it('a card whose answer was lost (the connection dropped after Slack stored it) is not posted twice', async () => {
    const title = 'Answer lost';
    app.slack.clear();
    app.slack.loseAnswerNext('chat.postMessage', isCard(title));
    await submit(title);
    const ticket = await givenBack(title);
    expect(cardsIn(title)).toHaveLength(1);
    expect(app.slack.callsTo('chat.postMessage').filter((c) => isCard(title)(c.args))).toHaveLength(1);

    expect(await catchUp()).toBe(1);
    expect(cardsIn(title)).toHaveLength(1);
    expect(app.slack.callsTo('chat.postMessage').filter((c) => isCard(title)(c.args))).toHaveLength(1);
    expect(await cardOf(suite.db, ticket.id)).toMatchObject({
      messageTs: cardsIn(title)[0]!.ts,
      leaseUntil: null,
    });
    expect(dmsTo(REQUESTER_DM, ticket.id)).toHaveLength(1);
  });

  it('a DM to the requester that fails is sent by the catch-up; the card is not posted again', async () => {
    const title = 'Requester DM failed';
    app.slack.clear();
    app.slack.failNext('chat.postMessage', 'internal_error', 1, (a) => a.channel === REQUESTER_DM);
    await submit(title);
    const ticket = await givenBack(title);
    expect(cardsIn(title)).toHaveLength(1);
    expect((await cardOf(suite.db, ticket.id))?.requesterToldAt).toBeNull();

    expect(await catchUp()).toBe(0);
    expect(cardsIn(title)).toHaveLength(1);
    const told = dmsTo(REQUESTER_DM, ticket.id);
    expect(told).toHaveLength(1);
    expect(String(told[0]!.args.text)).toContain(`p${cardsIn(title)[0]!.ts.replace('.', '')}`);
    expect(await cardOf(suite.db, ticket.id)).toMatchObject({
      leaseUntil: null,
      requesterToldAt: expect.any(Date),
    });
  });

  it('a DM to the technician that fails is sent by the catch-up; the requester is not told twice', async () => {
    const title = 'Technician DM failed';
    app.slack.clear();
    app.slack.failNext('chat.postMessage', 'service_unavailable', 1, (a) => a.channel === TECHNICIAN_DM);
    await submit(title, {
      technician: { technician: { type: 'static_select', selected_option: { value: TECHNICIAN } } },
    });
    const ticket = await givenBack(title);
    expect(dmsTo(TECHNICIAN_DM, ticket.id)).toHaveLength(0);

    expect(await catchUp()).toBe(0);
    expect(await cardOf(suite.db, ticket.id)).toMatchObject({
      leaseUntil: null,
      technicianToldAt: expect.any(Date),
    });
    expect(dmsTo(TECHNICIAN_DM, ticket.id)).toHaveLength(1);
    expect(dmsTo(REQUESTER_DM, ticket.id)).toHaveLength(1);
    expect(cardsIn(title)).toHaveLength(1);
  });

  it('a DM Slack refuses for good (messages tab disabled) is given up, not retried', async () => {
    const title = 'Messages tab off';
    app.slack.clear();
    app.slack.failNext('chat.postMessage', 'messages_tab_disabled', 1, (a) => a.channel === REQUESTER_DM);
    await submit(title);
    const ticket = await delivered(title);
    expect((await cardOf(suite.db, ticket.id))?.requesterToldAt).toBeInstanceOf(Date);
    expect(cardsIn(title)).toHaveLength(1);
    expect(await catchUp()).toBe(0);
  });

  it('leaves a card alone while its posting is under way; after a crash, the catch-up finds it instead of posting again', async () => {
    app.slack.clear();
    const title = 'Posting under way';
    const held = app.slack.hold('chat.postMessage', isCard(title));
    await app.command(REQUESTER, title);
    const opened = await app.slack.waitForCall('views.open', (a) => JSON.stringify(a.view).includes(title));
    await app.submitView(REQUESTER, opened, {
      title: { title: { type: 'plain_text_input', value: title } },
      priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
    });
    await held.arrived;
    const ticket = await suite.db.models.Ticket.findOne({ where: { title } });
    expect((await cardOf(suite.db, ticket!.id))!.leaseUntil!.getTime()).toBeGreaterThan(Date.now());
    // The creating process holds the lease: a catch-up elsewhere must not post a second card.
    expect(await catchUp()).toBe(0);
    held.release();
    await delivered(title);
    expect(cardsIn(title)).toHaveLength(1);
    const [card] = cardsIn(title);

    // A process that died after posting, before recording it, leaves its lease to run out; then
    // the catch-up finds the card in the channel and records it.
    await suite.db.models.SlackCard.update(
      { messageTs: null, leaseUntil: new Date(Date.now() + 60_000) },
      { where: { ticketId: ticket!.id } },
    );
    app.slack.clear();
    expect(await catchUp()).toBe(0);
    await expireLease(ticket!.id);
    expect(await catchUp()).toBe(1);
    expect(app.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(cardsIn(title)).toHaveLength(1);
    expect(await cardOf(suite.db, ticket!.id)).toMatchObject({ messageTs: card!.ts, leaseUntil: null });
  });

  it('posts a waiting card once when several replicas catch up at the same moment', async () => {
    await submitDuringOutage('Caught up once');
    app.slack.clear();
    const results = await Promise.all([catchUp(), catchUp(), catchUp()]);
    expect(results.reduce((a, b) => a + b, 0)).toBe(1);
    expect(cardsIn('Caught up once')).toHaveLength(1);
  });

  it('a card waiting for a DM from before cards stayed out of DMs goes to the helpdesk channel', async () => {
    const ticket = await submitDuringOutage('Waiting for a DM card');
    await suite.db.models.SlackCard.update({ channelId: REQUESTER }, { where: { ticketId: ticket.id } });
    expect(await catchUp()).toBe(1);
    expect(cardsIn('Waiting for a DM card')).toHaveLength(1);
    expect(await cardOf(suite.db, ticket.id)).toMatchObject({ channelId: HELPDESK, leaseUntil: null });
    expect(
      app.slack.messagesIn(REQUESTER_DM).filter((m) => m.text.includes('Waiting for a DM card')),
    ).toHaveLength(1);
  });

  it('a card Slack refuses (bot not in the channel, archived) is given up, the requester told, and not retried', async () => {
    for (const refusal of ['not_in_channel', 'is_archived'] as const) {
      const title = `Refused channel ${refusal}`;
      app.slack.clear();
      if (refusal === 'not_in_channel') app.slack.channelsWithoutBot.add(HELPDESK);
      else app.slack.failNext('chat.postMessage', refusal, 1, isCard(title));
      try {
        await submit(title);
        const ticket = await delivered(title);
        // The ticket is kept, without a card.
        expect(await cardOf(suite.db, ticket.id), refusal).toMatchObject({
          channelId: null,
          messageTs: null,
          leaseUntil: null,
        });
        const told = dmsTo(REQUESTER_DM, ticket.id);
        expect(told, refusal).toHaveLength(1);
        expect(String(told[0]!.args.text)).toContain('could not post');
        expect(String(told[0]!.args.text)).toContain(`<#${HELPDESK}>`);
        expect(String(told[0]!.args.text)).toContain(title);
      } finally {
        app.slack.channelsWithoutBot.clear();
      }
      app.slack.clear();
      expect(await catchUp()).toBe(0);
      expect(app.slack.callsTo('chat.postMessage')).toHaveLength(0);
    }
  });
});

describeEachDatabase(
  'Slack: with no helpdesk channel, a card goes where the ticket was asked for',
  (suite) => {
    const logs = captureLogs('warn');
    const logLines = logs.entries;
    const app = useSlackTestApp(suite, { HELPDESK_CHANNEL_ID: '' }, () => logs.logger);

    it('says at start-up what HELPDESK_CHANNEL_ID is for', () => {
      expect(logLines.map((line) => String(line.msg))).toContainEqual(
        expect.stringMatching(/^HELPDESK_CHANNEL_ID is not set: .*App Home or a DM/),
      );
    });

    it('/ticket in a channel: the card is posted in that channel', async () => {
      const card = await app.createTicket(REQUESTER, 'Card in general');
      expect(card.channel).toBe('C0GENERAL1');
      const found = await app.slack.waitFor(async () => {
        const delivered = await ticketWithCard(suite.db, 'Card in general');
        return delivered?.card.leaseUntil === null ? delivered : undefined;
      }, 'the delivery finished');
      expect(found.card).toMatchObject({ channelId: 'C0GENERAL1', messageTs: card.ts });
    });

    it('New ticket from the App Home: no modal, an explanation, and no card in a DM', async () => {
      app.slack.clear();
      const before = await suite.db.models.Ticket.count();
      const res = await app.clickInHome(
        REQUESTER,
        { type: 'button', action_id: 'home_new_ticket', block_id: 'home_actions' },
        { triggerId: 'trigger.home.new' },
      );
      expect(res.status).toBe(200);
      const notice = await app.slack.waitForCall('views.open', (a) => a.trigger_id === 'trigger.home.new');
      const view = notice.args.view as { callback_id: string; blocks: Array<{ text?: { text: string } }> };
      expect(view.callback_id).toBe('notice');
      expect(view.blocks[0]!.text!.text).toContain('HELPDESK_CHANNEL_ID');
      expect(await suite.db.models.Ticket.count()).toBe(before);
    });

    it('/ticket in a DM: the answer says a helpdesk channel is needed, and no modal opens', async () => {
      app.slack.clear();
      const res = await app.command(REQUESTER, 'From my DM', REQUESTER_DM);
      expect(res.json()).toMatchObject({
        response_type: 'ephemeral',
        text: expect.stringContaining('HELPDESK_CHANNEL_ID'),
      });
      expect(app.slack.callsTo('views.open')).toHaveLength(0);
    });

    it('Create ticket on a message in a DM: an explanation instead of the modal', async () => {
      app.slack.clear();
      await app.messageShortcut(
        REQUESTER,
        { id: REQUESTER_DM, name: 'directmessage' },
        { user: REQUESTER, ts: '1690000000.000200', text: 'My screen is dark' },
        'trigger.shortcut.dm',
      );
      const notice = await app.slack.waitForCall('views.open', (a) => a.trigger_id === 'trigger.shortcut.dm');
      expect(JSON.stringify(notice.args.view)).toContain('HELPDESK_CHANNEL_ID');
      expect((notice.args.view as { callback_id: string }).callback_id).toBe('notice');
    });
  },
);

// A database that refuses to record where a card landed (the card itself was posted): a trigger
// refuses setting slack_cards.message_ts, on SQLite and MySQL alike.
async function refuseRecordingCards(suite: DatabaseSuite) {
  if (suite.kind === 'sqlite') {
    await suite.db.sequelize.query(
      `CREATE TRIGGER refuse_card_record BEFORE UPDATE OF message_ts ON slack_cards
       WHEN NEW.message_ts IS NOT NULL AND OLD.message_ts IS NULL
       BEGIN SELECT RAISE(ABORT, 'card record refused'); END`,
    );
  } else {
    await suite.db.sequelize.query(
      `CREATE TRIGGER refuse_card_record BEFORE UPDATE ON slack_cards FOR EACH ROW
       BEGIN
         IF NEW.message_ts IS NOT NULL AND OLD.message_ts IS NULL THEN
           SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'card record refused';
         END IF;
       END`,
    );
  }
}

async function allowRecordingCards(suite: DatabaseSuite) {
  await suite.db.sequelize.query('DROP TRIGGER IF EXISTS refuse_card_record');
}
