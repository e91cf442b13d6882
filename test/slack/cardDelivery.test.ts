import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/db.js';
import { HELPDESK, REQUESTER, useSlackTestApp } from '../support/slackApp.js';

// A new ticket's card is posted after Slack has its acknowledgement. The ticket keeps where its
// card should go and a lease on posting it. When Slack cannot be reached the lease is given back
// at once; when the process dies first it runs out. Either way the next catch-up posts the card
// and tells the requester; while a posting is under way, no catch-up touches it.

describeEachDatabase('Slack: a card whose posting was interrupted is posted later', (suite) => {
  const app = useSlackTestApp(suite);

  const catchUp = () => app.bot.slack!.catchUpCards();

  async function submitDuringOutage(title: string) {
    app.slack.clear();
    // Every attempt (the first and the client's two retries) meets an outage.
    app.slack.failHttpNext('chat.postMessage', 503, 3);
    await app.command(REQUESTER, title);
    const opened = await app.slack.waitForCall('views.open', (a) => JSON.stringify(a.view).includes(title));
    const submitted = await app.submitView(REQUESTER, opened, {
      title: { title: { type: 'plain_text_input', value: title } },
      priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
    });
    expect(submitted.status).toBe(200);
    await app.slack.waitFor(
      (calls) => calls.filter((c) => c.method === 'chat.postMessage').length >= 3 || undefined,
      'three failed chat.postMessage',
    );
    return givenBack(title);
  }

  /** The ticket, once its failed posting has given the card back to the catch-up. */
  async function givenBack(title: string) {
    for (let tries = 0; tries < 100; tries++) {
      const ticket = await suite.db.models.Ticket.findOne({ where: { title } });
      if (ticket?.cardLeaseUntil && ticket.cardLeaseUntil.getTime() <= Date.now()) return ticket;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the card of "${title}" was not given back to the catch-up`);
  }

  /** What a lease that ran out looks like (a crash, or five minutes of outage). */
  async function expireLease(ticketId: number) {
    await suite.db.models.Ticket.update(
      { cardLeaseUntil: new Date(Date.now() - 1000) },
      { where: { id: ticketId } },
    );
  }

  it('keeps the ticket and its destination through an outage, then posts the card and the link', async () => {
    const ticket = await submitDuringOutage('Posted after the outage');
    expect(ticket.slackChannelId).toBe(HELPDESK);
    expect(ticket.slackMessageTs).toBeNull();

    // Slack is back: the next catch-up posts the card, without waiting for the lease to run out.
    app.slack.clear();
    expect(await catchUp()).toBe(1);
    const posted = app.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === HELPDESK);
    expect(posted).toHaveLength(1);
    expect(String(posted[0]!.args.text)).toContain('Posted after the outage');
    await ticket.reload();
    expect(ticket.slackChannelId).toBe(HELPDESK);
    expect(ticket.slackMessageTs).toBe(posted[0]!.response.ts);
    expect(ticket.cardLeaseUntil).toBeNull();
    const dm = app.slack
      .callsTo('chat.postMessage')
      .find(
        (c) => c.args.channel === `D${REQUESTER.slice(1)}` && String(c.args.text).includes(`#${ticket.id}`),
      );
    expect(String(dm?.args.text)).toContain(
      `/archives/${HELPDESK}/p${String(posted[0]!.response.ts).replace('.', '')}`,
    );

    // Posted once: a later catch-up has nothing to do.
    expect(await catchUp()).toBe(0);
    expect(app.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === HELPDESK)).toHaveLength(1);
  });

  it('waits out a rate limit (429, Retry-After) and then posts the card once', async () => {
    app.slack.clear();
    app.slack.failHttpNext('chat.postMessage', 429, 1);
    const card = await app.createTicket(REQUESTER, 'Posted after a rate limit');
    expect(card.channel).toBe(HELPDESK);
    const calls = app.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === HELPDESK);
    expect(calls.map((c) => c.response.httpStatus ?? 200)).toEqual([429, 200]);
    const ticket = await suite.db.models.Ticket.findOne({ where: { title: 'Posted after a rate limit' } });
    expect(ticket).toMatchObject({ slackChannelId: HELPDESK, slackMessageTs: card.ts, cardLeaseUntil: null });
  });

  it('gives the card back again when Slack is still down at the catch-up', async () => {
    const ticket = await submitDuringOutage('Still down at the catch-up');
    app.slack.clear();
    app.slack.failHttpNext('chat.postMessage', 503, 3);
    await expect(catchUp()).rejects.toThrow();
    expect(app.slack.callsTo('chat.postMessage')).toHaveLength(3);
    await givenBack('Still down at the catch-up');
    app.slack.clear();
    expect(await catchUp()).toBe(1);
    await ticket.reload();
    expect(ticket.slackMessageTs).toBe(
      app.slack.callsTo('chat.postMessage').find((c) => c.args.channel === HELPDESK)?.response.ts,
    );
  });

  it('leaves a card alone while its posting is under way, and takes it over once the lease ran out', async () => {
    app.slack.clear();
    const title = 'Posting under way';
    const held = app.slack.hold('chat.postMessage', (args) => String(args.text).includes(title));
    await app.command(REQUESTER, title);
    const opened = await app.slack.waitForCall('views.open', (a) => JSON.stringify(a.view).includes(title));
    await app.submitView(REQUESTER, opened, {
      title: { title: { type: 'plain_text_input', value: title } },
      priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
    });
    await held.arrived;
    const ticket = await suite.db.models.Ticket.findOne({ where: { title } });
    expect(ticket!.cardLeaseUntil!.getTime()).toBeGreaterThan(Date.now());
    // The creating process holds the lease: a catch-up elsewhere must not post a second card.
    expect(await catchUp()).toBe(0);
    held.release();
    await app.slack.waitFor(
      () => app.slack.callsTo('chat.postMessage').some((c) => String(c.args.text).includes(`#${ticket!.id}`)),
      'the requester told',
    );
    await ticket!.reload();
    expect(ticket!.cardLeaseUntil).toBeNull();
    expect(
      app.slack
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === HELPDESK && String(c.args.text).includes(title)),
    ).toHaveLength(1);

    // A process that died mid-posting leaves its lease to run out; then the catch-up posts.
    await suite.db.models.Ticket.update(
      { slackMessageTs: null, cardLeaseUntil: new Date(Date.now() + 60_000) },
      { where: { id: ticket!.id } },
    );
    app.slack.clear();
    expect(await catchUp()).toBe(0);
    await expireLease(ticket!.id);
    expect(await catchUp()).toBe(1);
  });

  it('posts a waiting card once when several replicas catch up at the same moment', async () => {
    await submitDuringOutage('Caught up once');
    app.slack.clear();
    const results = await Promise.all([catchUp(), catchUp(), catchUp()]);
    expect(results.reduce((a, b) => a + b, 0)).toBe(1);
    const cards = app.slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === HELPDESK && String(c.args.text).includes('Caught up once'));
    expect(cards).toHaveLength(1);
  });

  it('a card Slack refuses (bot not in the channel) is given up, the requester told, and not retried', async () => {
    app.slack.clear();
    app.slack.channelsWithoutBot.add(HELPDESK);
    try {
      await app.command(REQUESTER, 'Refused channel');
      const opened = await app.slack.waitForCall('views.open', (a) =>
        JSON.stringify(a.view).includes('Refused channel'),
      );
      await app.submitView(REQUESTER, opened, {
        title: { title: { type: 'plain_text_input', value: 'Refused channel' } },
        priority: { priority: { type: 'static_select', selected_option: { value: 'low' } } },
      });
      const told = await app.slack.waitForCall(
        'chat.postMessage',
        (a) => a.channel === `D${REQUESTER.slice(1)}` && String(a.text).includes('could not post'),
      );
      expect(String(told.args.text)).toContain(`<#${HELPDESK}>`);
      await app.slack.waitForCall(
        'chat.postMessage',
        (a) => String(a.text).includes('Refused channel') && a.channel !== HELPDESK,
      );
    } finally {
      app.slack.channelsWithoutBot.clear();
    }
    // The ticket is kept, without a card.
    expect(await suite.db.models.Ticket.count({ where: { title: 'Refused channel' } })).toBe(1);
    const ticket = await suite.db.models.Ticket.findOne({ where: { title: 'Refused channel' } });
    expect(ticket).toMatchObject({ slackChannelId: null, slackMessageTs: null, cardLeaseUntil: null });
    app.slack.clear();
    expect(await catchUp()).toBe(0);
    expect(app.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });
});

describeEachDatabase(
  'Slack: with no helpdesk channel, a card goes where the ticket was asked for',
  (suite) => {
    const app = useSlackTestApp(suite, { HELPDESK_CHANNEL_ID: '' });

    it('/ticket in a channel: the card is posted in that channel', async () => {
      const card = await app.createTicket(REQUESTER, 'Card in general');
      expect(card.channel).toBe('C0GENERAL1');
      const ticket = await suite.db.models.Ticket.findOne({ where: { title: 'Card in general' } });
      expect(ticket).toMatchObject({
        slackChannelId: 'C0GENERAL1',
        slackMessageTs: card.ts,
        cardLeaseUntil: null,
      });
    });

    it('New ticket from the App Home (no channel): the card is posted in the requester’s DM', async () => {
      app.slack.clear();
      await app.clickInHome(
        REQUESTER,
        { type: 'button', action_id: 'home_new_ticket', block_id: 'home_actions' },
        { triggerId: 'trigger.home.new' },
      );
      const opened = await app.slack.waitForCall('views.open');
      await app.submitView(REQUESTER, opened, {
        title: { title: { type: 'plain_text_input', value: 'Card in my DM' } },
        priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
      });
      const dm = `D${REQUESTER.slice(1)}`;
      const posted = await app.slack.waitForCall(
        'chat.postMessage',
        (a) =>
          a.channel === dm && Array.isArray(a.blocks) && JSON.stringify(a.blocks).includes('Card in my DM'),
      );
      await app.slack.waitFor(
        () =>
          suite.db.models.Ticket.findOne({
            where: { title: 'Card in my DM', slackMessageTs: posted.response.ts as string },
          }),
        'the card recorded',
      );
      const ticket = await suite.db.models.Ticket.findOne({ where: { title: 'Card in my DM' } });
      expect(ticket).toMatchObject({ slackChannelId: dm, cardLeaseUntil: null });
    });
  },
);
