import { expect, it } from 'vitest';
import { asActor, changeStatus } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import {
  HELPDESK,
  OTHER_USER,
  REQUESTER,
  SECOND_TECHNICIAN,
  type SlackJson,
  TECHNICIAN,
  useSlackTestApp,
} from '../support/slackApp.js';
import { cardOf as cardRecordOf, ticketWithCard } from '../support/slackCards.js';

// The main path, end to end over HTTP: /ticket → modal → submission → card → buttons → rating.

describeEachDatabase('Slack: a ticket from /ticket to its rating', (suite) => {
  const app = useSlackTestApp(suite);

  async function openAndSubmit(
    userId: string,
    title: string,
    values: Record<string, Record<string, unknown>> = {},
  ) {
    app.slack.clear();
    const res = await app.command(userId, title);
    expect(res.status).toBe(200);
    const opened = await app.slack.waitForCall('views.open');
    const submitted = await app.submitView(userId, opened, {
      title: { title: { type: 'plain_text_input', value: title } },
      description: { description: { type: 'plain_text_input', value: 'It jams & squeaks <loudly>' } },
      priority: { priority: { type: 'static_select', selected_option: { value: 'high' } } },
      ...values,
    });
    return { opened, submitted };
  }

  async function cardOf(title: string) {
    const posted = await app.slack.waitForCall(
      'chat.postMessage',
      (args) => args.channel === HELPDESK && String(args.text).includes(title),
    );
    return app.card(posted.response.channel as string, posted.response.ts as string);
  }

  it('opens the modal with the title prefilled and the roster as technician choices', async () => {
    const { opened, submitted } = await openAndSubmit(REQUESTER, 'Printer jams');
    expect(submitted.status).toBe(200);
    const view = opened.args.view as { callback_id: string; blocks: SlackJson[] };
    expect(view.callback_id).toBe('new_ticket');
    expect(view.blocks[0]).toMatchObject({ block_id: 'title', element: { initial_value: 'Printer jams' } });
    const technician = view.blocks.find((b) => b.block_id === 'technician');
    expect(technician?.element.options.map((o: { value: string }) => o.value).sort()).toEqual(
      [TECHNICIAN, SECOND_TECHNICIAN].sort(),
    );
  });

  it("prefills the title as the person typed it: Slack's escapes and link brackets undone", async () => {
    app.slack.clear();
    await app.command(REQUESTER, 'VPN &amp; Wi-Fi &lt;floor 3&gt; see <https://status.example.com>');
    const opened = await app.slack.waitForCall('views.open', () => true);
    const view = opened.args.view as { blocks: SlackJson[] };
    expect(view.blocks[0].element.initial_value).toBe('VPN & Wi-Fi <floor 3> see https://status.example.com');
  });

  it('opens one ticket when the same modal is submitted again, one after the other or at once', async () => {
    const { opened } = await openAndSubmit(REQUESTER, 'Submitted twice');
    await cardOf('Submitted twice');
    const values = {
      title: { title: { type: 'plain_text_input', value: 'Submitted twice' } },
      priority: { priority: { type: 'static_select', selected_option: { value: 'high' } } },
    };
    // Slack showed the person an error (our first answer was slow) and they pressed Submit again.
    const again = await app.submitView(REQUESTER, opened, values);
    expect(again.status).toBe(200);
    expect(again.text).toBe('');
    expect(await suite.db.models.Ticket.count({ where: { title: 'Submitted twice' } })).toBe(1);

    // A double click on Submit: both arrive together.
    app.slack.clear();
    await app.command(REQUESTER, 'Double click');
    const doubled = await app.slack.waitForCall('views.open');
    const both = { ...values, title: { title: { type: 'plain_text_input', value: 'Double click' } } };
    const answers = await Promise.all([
      app.submitView(REQUESTER, doubled, both),
      app.submitView(REQUESTER, doubled, both),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    await cardOf('Double click');
    expect(await suite.db.models.Ticket.count({ where: { title: 'Double click' } })).toBe(1);
    await app.bot.slack!.catchUpCards();
    const cards = app.slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === HELPDESK && String(c.args.text).includes('Double click'));
    expect(cards).toHaveLength(1);
  });

  it('creates the ticket, posts its card in the helpdesk channel and DMs the requester a link', async () => {
    await openAndSubmit(REQUESTER, 'Screen flickers');
    const card = await cardOf('Screen flickers');
    const ticket = await suite.db.models.Ticket.findOne({ where: { title: 'Screen flickers' } });
    expect(ticket).toMatchObject({
      requesterId: REQUESTER,
      priority: 'high',
      status: 'open',
      description: 'It jams & squeaks <loudly>',
    });
    expect(card.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: `#${ticket!.id} Screen flickers` },
    });
    expect(JSON.stringify(card.blocks)).toContain('It jams &amp; squeaks &lt;loudly&gt;');
    const dm = await app.slack.waitForCall(
      'chat.postMessage',
      (args) => args.channel === `D${REQUESTER.slice(1)}` && String(args.text).includes('Screen flickers'),
    );
    expect(String(dm.args.text)).toContain(`/archives/${HELPDESK}/p${card.ts.replace('.', '')}`);
    expect(await cardRecordOf(suite.db, ticket!.id)).toMatchObject({
      channelId: HELPDESK,
      messageTs: card.ts,
    });
  });

  it('New ticket from the App Home: the card goes to the helpdesk channel, never to a DM', async () => {
    app.slack.clear();
    await app.clickInHome(
      REQUESTER,
      { type: 'button', action_id: 'home_new_ticket', block_id: 'home_actions' },
      { triggerId: 'trigger.home.new' },
    );
    const opened = await app.slack.waitForCall('views.open', (a) => a.trigger_id === 'trigger.home.new');
    expect((opened.args.view as { callback_id: string }).callback_id).toBe('new_ticket');
    await app.submitView(REQUESTER, opened, {
      title: { title: { type: 'plain_text_input', value: 'From my App Home' } },
      priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
    });
    const card = await cardOf('From my App Home');
    expect(card.channel).toBe(HELPDESK);
    const found = await app.slack.waitFor(async () => {
      const delivered = await ticketWithCard(suite.db, 'From my App Home');
      return delivered?.card.leaseUntil === null ? delivered : undefined;
    }, 'the delivery finished');
    expect(found.card).toMatchObject({ channelId: HELPDESK, messageTs: card.ts });
    const dm = `D${REQUESTER.slice(1)}`;
    const cardsInDm = app.slack
      .messagesIn(dm)
      .filter((m) => JSON.stringify(m.blocks ?? []).includes('From my App Home'));
    expect(cardsInDm).toHaveLength(0);
  });

  it('shows an error on the field for an empty title and creates nothing', async () => {
    const before = await suite.db.models.Ticket.count();
    const { submitted } = await openAndSubmit(REQUESTER, '   ');
    expect(submitted.json()).toMatchObject({
      response_action: 'errors',
      errors: { title: expect.any(String) },
    });
    expect(await suite.db.models.Ticket.count()).toBe(before);
  });

  it('refuses a technician who is not on the roster, on the field', async () => {
    const { submitted } = await openAndSubmit(REQUESTER, 'Wrong tech', {
      technician: { technician: { type: 'static_select', selected_option: { value: OTHER_USER } } },
    });
    expect(submitted.json()).toMatchObject({
      response_action: 'errors',
      errors: { technician: expect.any(String) },
    });
    expect(await suite.db.models.Ticket.count({ where: { title: 'Wrong tech' } })).toBe(0);
  });

  it('DMs the technician picked in the modal', async () => {
    await openAndSubmit(REQUESTER, 'Keyboard dead', {
      technician: { technician: { type: 'static_select', selected_option: { value: TECHNICIAN } } },
    });
    await cardOf('Keyboard dead');
    const dm = await app.slack.waitForCall(
      'chat.postMessage',
      (args) => args.channel === `D${TECHNICIAN.slice(1)}` && String(args.text).includes('Keyboard dead'),
    );
    expect(String(dm.args.text)).toContain('Keyboard dead');
  });

  it('assigns, starts and closes from the card, updating it in place each time, then takes one rating', async () => {
    await openAndSubmit(REQUESTER, 'VPN down');
    let card = await cardOf('VPN down');
    const ticket = (await suite.db.models.Ticket.findOne({ where: { title: 'VPN down' } }))!;

    await app.click(TECHNICIAN, card, 'ticket_assign', { selected_user: TECHNICIAN });
    await app.slack.waitForCall(
      'chat.update',
      (args) => args.ts === card.ts && JSON.stringify(args.blocks).includes('Tom Tech'),
    );
    card = app.card(card.channel, card.ts);
    expect((await ticket.reload()).technicianId).toBe(TECHNICIAN);

    await app.click(TECHNICIAN, card, 'ticket_start');
    await app.slack.waitForCall(
      'chat.update',
      (args) => args.ts === card.ts && JSON.stringify(args.blocks).includes('In progress'),
    );
    card = app.card(card.channel, card.ts);

    await app.click(TECHNICIAN, card, 'ticket_close');
    await app.slack.waitForCall(
      'chat.update',
      (args) => args.ts === card.ts && JSON.stringify(args.blocks).includes('ticket_reopen'),
    );
    expect((await ticket.reload()).status).toBe('closed');

    const prompt = await app.slack.waitForCall(
      'chat.postMessage',
      (args) =>
        args.channel === `D${REQUESTER.slice(1)}` &&
        JSON.stringify(args.blocks ?? []).includes('ticket_rate_4'),
    );
    const dm = {
      channel: prompt.response.channel as string,
      ts: prompt.response.ts as string,
      blocks: prompt.args.blocks as SlackJson,
    };
    await app.click(REQUESTER, dm, 'ticket_rate_4');
    await app.slack.waitForCall(
      'chat.update',
      (args) => args.ts === dm.ts && String(args.text).includes('4/5'),
    );
    const ratings = await suite.db.models.Rating.findAll({ where: { ticketId: ticket.id } });
    expect(ratings.map((r) => ({ score: r.score, remark: r.remark, technicianId: r.technicianId }))).toEqual([
      { score: 4, remark: null, technicianId: TECHNICIAN },
    ]);

    // A second click on the same prompt (a double click) stores nothing more and leaves the
    // thank-you for the score that counts.
    app.slack.clear();
    await app.click(REQUESTER, dm, 'ticket_rate_1');
    const again = await app.slack.waitForCall('chat.update', (args) => args.ts === dm.ts);
    expect(String(again.args.text)).toContain('4/5');
    expect(String(again.args.text)).not.toContain('1/5');
    expect(await suite.db.models.Rating.count({ where: { ticketId: ticket.id } })).toBe(1);
  });

  it('refuses a click from someone who may not, with an ephemeral explanation, and changes nothing', async () => {
    await openAndSubmit(REQUESTER, 'Mouse lost');
    const card = await cardOf('Mouse lost');
    // No request types defined: the card has no type select.
    expect(JSON.stringify(card.blocks)).not.toContain('ticket_type');
    const ticket = (await suite.db.models.Ticket.findOne({ where: { title: 'Mouse lost' } }))!;
    await app.click(OTHER_USER, card, 'ticket_start');
    const ephemeral = await app.slack.waitForCall('chat.postEphemeral', (args) => args.user === OTHER_USER);
    expect(ephemeral.args).toMatchObject({
      channel: HELPDESK,
      text: expect.stringContaining('Only technicians'),
    });
    const after = await ticket.reload();
    expect(after).toMatchObject({ status: 'open', version: 1 });
  });

  it('refuses a click on an out-of-date card (Conflict) and refreshes the card', async () => {
    await openAndSubmit(REQUESTER, 'Old card');
    const stale = await cardOf('Old card');
    const ticket = (await suite.db.models.Ticket.findOne({ where: { title: 'Old card' } }))!;
    await app.click(TECHNICIAN, stale, 'ticket_start');
    await app.slack.waitForCall('chat.update', (args) => args.ts === stale.ts);
    await app.click(SECOND_TECHNICIAN, stale, 'ticket_close');
    const ephemeral = await app.slack.waitForCall(
      'chat.postEphemeral',
      (args) => args.user === SECOND_TECHNICIAN,
    );
    expect(String(ephemeral.args.text)).toContain('changed this ticket meanwhile');
    expect((await ticket.reload()).status).toBe('in_progress');
  });

  const withTechnician = {
    technician: { technician: { type: 'static_select', selected_option: { value: TECHNICIAN } } },
  };
  const technicianField = (card: { blocks: SlackJson[] }) =>
    String(card.blocks.find((b) => Array.isArray(b.fields))?.fields[3]?.text);
  const actionIds = (card: { blocks: SlackJson[] }) =>
    (card.blocks.at(-1).elements as Array<{ action_id: string }>).map((e) => e.action_id);

  it('unassigns from the card: no technician in the database or on the card, the status kept, an event and no email', async () => {
    await openAndSubmit(REQUESTER, 'Toner empty', withTechnician);
    let card = await cardOf('Toner empty');
    const ticket = (await suite.db.models.Ticket.findOne({ where: { title: 'Toner empty' } }))!;
    expect(actionIds(card)).toContain('ticket_unassign');
    // The name once users.info has answered for them, a mention until then.
    const shownTechnician = /Tom Tech|<@U0TECH0001>/;
    expect(technicianField(card)).toMatch(shownTechnician);

    await app.click(TECHNICIAN, card, 'ticket_start');
    await app.slack.waitForCall(
      'chat.update',
      (args) => args.ts === card.ts && JSON.stringify(args.blocks).includes(`ticket_actions:${ticket.id}:2`),
    );
    card = app.card(card.channel, card.ts);
    const outboxBefore = await suite.db.models.EmailOutbox.count({ where: { ticketId: ticket.id } });
    expect(outboxBefore, 'Start queued the requester’s status email').toBeGreaterThan(0);

    await app.click(TECHNICIAN, card, 'ticket_unassign');
    const update = await app.slack.waitForCall(
      'chat.update',
      (args) => args.ts === card.ts && JSON.stringify(args.blocks).includes(`ticket_actions:${ticket.id}:3`),
    );
    expect(update.args.channel).toBe(HELPDESK);
    expect(await ticket.reload()).toMatchObject({ technicianId: null, status: 'in_progress', version: 3 });
    const event = await suite.db.models.TicketEvent.findOne({ where: { ticketId: ticket.id, version: 3 } });
    expect(event).toMatchObject({
      type: 'unassigned',
      actorId: TECHNICIAN,
      fromValue: TECHNICIAN,
      toValue: null,
    });

    const updated = { blocks: update.args.blocks as SlackJson[] };
    expect(technicianField(updated)).toContain('Unassigned');
    expect(technicianField(updated)).not.toMatch(shownTechnician);
    expect(actionIds(updated)).toEqual([
      'ticket_assign',
      'ticket_priority',
      'ticket_close',
      'ticket_comment',
    ]);
    expect(updated.blocks.at(-1).elements[0]).not.toHaveProperty('initial_user');
    expect(JSON.stringify(updated.blocks)).toContain('In progress');
    expect(JSON.stringify(updated.blocks)).toMatch(/(Tom Tech|<@U0TECH0001>) unassigned it/);
    // Unassignment emails nobody: the outbox holds what it held before the click.
    expect(await suite.db.models.EmailOutbox.count({ where: { ticketId: ticket.id } })).toBe(outboxBefore);
  });

  it('refuses an Unassign click from a non-technician, with an ephemeral explanation, and changes nothing', async () => {
    await openAndSubmit(REQUESTER, 'Badge broken', withTechnician);
    const card = await cardOf('Badge broken');
    const ticket = (await suite.db.models.Ticket.findOne({ where: { title: 'Badge broken' } }))!;
    await app.click(REQUESTER, card, 'ticket_unassign');
    const ephemeral = await app.slack.waitForCall('chat.postEphemeral', (args) => args.user === REQUESTER);
    expect(ephemeral.args).toMatchObject({
      channel: HELPDESK,
      text: expect.stringContaining('Only technicians'),
    });
    expect(await ticket.reload()).toMatchObject({ technicianId: TECHNICIAN, status: 'open', version: 1 });
    expect(await suite.db.models.TicketEvent.count({ where: { ticketId: ticket.id } })).toBe(1);
  });

  it('refuses an Unassign click on an out-of-date card (Conflict) and keeps the technician', async () => {
    await openAndSubmit(REQUESTER, 'Stale unassign', withTechnician);
    const stale = await cardOf('Stale unassign');
    const ticket = (await suite.db.models.Ticket.findOne({ where: { title: 'Stale unassign' } }))!;
    await app.click(TECHNICIAN, stale, 'ticket_start');
    await app.slack.waitForCall('chat.update', (args) => args.ts === stale.ts);
    await app.click(SECOND_TECHNICIAN, stale, 'ticket_unassign');
    const ephemeral = await app.slack.waitForCall(
      'chat.postEphemeral',
      (args) => args.user === SECOND_TECHNICIAN,
    );
    expect(String(ephemeral.args.text)).toContain('changed this ticket meanwhile');
    expect(await ticket.reload()).toMatchObject({
      technicianId: TECHNICIAN,
      status: 'in_progress',
      version: 2,
    });
    expect(
      await suite.db.models.TicketEvent.count({ where: { ticketId: ticket.id, type: 'unassigned' } }),
    ).toBe(0);
  });

  it('updates the card in place after a change made outside Slack (the status page, say)', async () => {
    await openAndSubmit(REQUESTER, 'Changed elsewhere');
    const card = await cardOf('Changed elsewhere');
    const ticket = (await suite.db.models.Ticket.findOne({ where: { title: 'Changed elsewhere' } }))!;
    await changeStatus(asActor(app.bot.services, TECHNICIAN), { ticketId: ticket.id, status: 'in_progress' });
    const update = await app.slack.waitForCall(
      'chat.update',
      (args) => args.ts === card.ts && JSON.stringify(args.blocks).includes('In progress'),
    );
    expect(update.args.channel).toBe(HELPDESK);
  });

  it('keeps a directory of the people it meets: name, email, locale and time zone from users.info', async () => {
    await openAndSubmit(REQUESTER, 'Directory check');
    await cardOf('Directory check');
    const requester = await suite.db.models.User.findByPk(REQUESTER);
    expect(requester).toMatchObject({
      name: 'Rita Requester',
      email: 'rita@example.com',
      locale: 'en-US',
      tz: 'Europe/Paris',
    });
    expect(requester!.profileRefreshedAt).toBeInstanceOf(Date);
    const lookups = app.slack.callsTo('users.info').filter((c) => c.args.user === REQUESTER);
    expect(lookups.every((c) => c.args.include_locale === 'true')).toBe(true);
  });

  it('keeps a change when Slack fails to update the card, and the next update catches the card up', async () => {
    await openAndSubmit(REQUESTER, 'Slack hiccup');
    const card = await cardOf('Slack hiccup');
    const ticket = (await suite.db.models.Ticket.findOne({ where: { title: 'Slack hiccup' } }))!;
    app.slack.failNext('chat.update', 'service_unavailable');
    await app.click(TECHNICIAN, card, 'ticket_assign', { selected_user: TECHNICIAN });
    await app.slack.waitFor(
      () =>
        app.slack.calls.find(
          (c) => c.method === 'chat.update' && c.args.ts === card.ts && c.response.ok === false,
        ),
      'the failed update',
    );
    expect((await ticket.reload()).technicianId).toBe(TECHNICIAN);
    // The card still shows version 1; its next click is refused as out of date, and the card is redrawn.
    await app.click(TECHNICIAN, card, 'ticket_start');
    const caughtUp = await app.cardAtVersion(card.ts, ticket.id, 2);
    expect(JSON.stringify(caughtUp.args.blocks)).toContain('Tom Tech');
    expect((await ticket.reload()).status).toBe('open');
  });
});
