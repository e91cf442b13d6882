import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/db.js';
import {
  ADMIN,
  FRENCH_USER,
  HELPDESK,
  OTHER_USER,
  REQUESTER,
  type SlackJson,
  TECHNICIAN,
  useSlackTestApp,
} from '../support/slackApp.js';
import { cardOf, ticketOfCard } from '../support/slackCards.js';

// App Home, the roster, the message shortcut, /ticket help and mine, languages, and what the
// requester is told when the card cannot be posted.

describeEachDatabase('Slack: App Home, shortcut, languages', (suite) => {
  const app = useSlackTestApp(suite);

  const homeOpened = (user: string) =>
    app.event({
      type: 'app_home_opened',
      user,
      channel: 'D0HOME',
      tab: 'home',
      event_ts: '1700000000.000001',
    });
  const lastHome = (user: string) =>
    app.slack.calls.filter((c) => c.method === 'views.publish' && c.args.user_id === user).at(-1);

  it('publishes the App Home when opened: my tickets, assigned tickets, the roster with admin controls', async () => {
    await app.createTicket(REQUESTER, 'Home ticket');
    const card = await app.createTicket(REQUESTER, 'Assigned ticket');
    await app.click(TECHNICIAN, card, 'ticket_assign', { selected_user: TECHNICIAN });
    await app.slack.waitForCall('chat.update', (args) => args.ts === card.ts);

    app.slack.clear();
    await homeOpened(REQUESTER);
    const requesterHome = JSON.stringify(
      (await app.slack.waitForCall('views.publish', (a) => a.user_id === REQUESTER)).args.view,
    );
    expect(requesterHome).toContain('Home ticket');
    expect(requesterHome).not.toContain('roster_add');

    await homeOpened(TECHNICIAN);
    const techHome = JSON.stringify(
      (await app.slack.waitForCall('views.publish', (a) => a.user_id === TECHNICIAN)).args.view,
    );
    expect(techHome).toContain('Assigned to me');
    expect(techHome).toContain('Assigned ticket');
    expect(techHome).toContain('ticket_start');
    expect(techHome).not.toContain('roster_remove');

    await homeOpened(ADMIN);
    const adminHome = (await app.slack.waitForCall('views.publish', (a) => a.user_id === ADMIN)).args
      .view as { blocks: SlackJson[] };
    expect(JSON.stringify(adminHome)).toContain('roster_add');
    expect(
      adminHome.blocks
        .filter((b) => b.accessory?.action_id === 'roster_remove')
        .map((b) => b.accessory.value)
        .sort(),
    ).toEqual(['U0TECH0001', 'U0TECH0002'].sort());
  });

  it('keeps an opened App Home up to date when one of its tickets changes', async () => {
    await homeOpened(TECHNICIAN);
    await app.slack.waitForCall('views.publish', (a) => a.user_id === TECHNICIAN);
    const card = await app.createTicket(REQUESTER, 'Fresh on my home');
    const before = app.slack.callsTo('views.publish').length;
    await app.click(TECHNICIAN, card, 'ticket_assign', { selected_user: TECHNICIAN });
    const published = await app.slack.waitFor(
      (calls) =>
        calls
          .filter((c) => c.method === 'views.publish')
          .slice(before)
          .find(
            (c) => c.args.user_id === TECHNICIAN && JSON.stringify(c.args.view).includes('Fresh on my home'),
          ),
      'home refresh',
    );
    expect(JSON.stringify(published.args.view)).toContain('Assigned to me');
  });

  /** A new ticket of the requester's, their App Home showing it, and its row of actions there. */
  async function requesterHomeWith(title: string) {
    const card = await app.createTicket(REQUESTER, title);
    const ticket = (await ticketOfCard(suite.db, card.ts))!;
    await homeOpened(REQUESTER);
    const home = await app.slack.waitFor(() => {
      const view = lastHome(REQUESTER)?.args.view as { blocks: SlackJson[] } | undefined;
      return view && JSON.stringify(view).includes(title) ? view : undefined;
    }, 'home with the ticket');
    const actions = home.blocks.find((b) => String(b.block_id).startsWith(`ticket_actions:${ticket.id}:`))!;
    return { card, ticket, home, actions };
  }

  it('works a ticket from the App Home with the same buttons as the card', async () => {
    const { card, ticket, home, actions } = await requesterHomeWith('Start me from home');
    expect(actions.elements.map((e: { action_id: string }) => e.action_id)).toContain('ticket_close');
    // The requester closes their own ticket from the home.
    await app.clickInHome(
      REQUESTER,
      { type: 'button', action_id: 'ticket_close', block_id: actions.block_id, value: String(ticket.id) },
      { triggerId: 'trigger.home.close', blocks: home.blocks },
    );
    await app.slack.waitFor(async () => (await ticket.reload()).status === 'closed', 'closed from home');
    await app.slack.waitForCall(
      'chat.update',
      (a) => a.ts === card.ts && JSON.stringify(a.blocks).includes('ticket_reopen'),
    );
  });

  it('a refused pick in the App Home is explained and the home redrawn, so the select shows no one', async () => {
    const { ticket, home, actions } = await requesterHomeWith('Pick refused at home');
    const publishedBefore = app.slack.callsTo('views.publish').length;
    // The requester is no technician: their pick of Tom in the home's select is refused.
    const pickTom = (triggerId: string) =>
      app.clickInHome(
        REQUESTER,
        {
          type: 'users_select',
          action_id: 'ticket_assign',
          block_id: actions.block_id,
          selected_user: TECHNICIAN,
        },
        { triggerId, blocks: home.blocks },
      );
    await pickTom('trigger.home.assign');
    await app.slack.waitForCall('views.open', (a) => a.trigger_id === 'trigger.home.assign');
    const redrawn = await app.slack.waitFor(
      (calls) =>
        calls
          .filter((c) => c.method === 'views.publish')
          .slice(publishedBefore)
          .find((c) => c.args.user_id === REQUESTER),
      'the home redrawn',
    );
    const redrawnActions = (redrawn.args.view as { blocks: SlackJson[] }).blocks.find((b) =>
      String(b.block_id).startsWith(`ticket_actions:${ticket.id}:`),
    );
    expect(redrawnActions.elements[0]).not.toHaveProperty('initial_user');
    expect((await ticket.reload()).technicianId).toBeNull();

    // The same refusal after the click's trigger_id ran out (Slack honours it for 3 s): a DM.
    app.slack.failNext('views.open', 'expired_trigger_id');
    await pickTom('trigger.home.late');
    const modal = app.slack.callsTo('views.open').find((c) => c.args.trigger_id === 'trigger.home.assign');
    const explanation = String(
      (modal!.args.view as { blocks: Array<{ text?: { text: string } }> }).blocks[0]!.text!.text,
    );
    expect(explanation).toContain('technicians');
    await app.slack.waitForCall(
      'chat.postMessage',
      (a) => a.channel === `D${REQUESTER.slice(1)}` && a.text === explanation,
    );
    expect((await ticket.reload()).technicianId).toBeNull();
  });

  it('lets an admin add and remove a technician from the App Home; others are refused', async () => {
    const fromHome = async (user: string, actionId: string, extra: Record<string, unknown>) => {
      // App Home clicks carry a view, not a channel.
      const block = {
        type: 'actions',
        block_id: 'roster',
        elements: [{ type: 'button', action_id: actionId }],
      };
      return app.clickInHome(
        user,
        { type: 'users_select', action_id: actionId, block_id: 'roster', ...extra },
        { triggerId: `trigger.home.${actionId}.${user}`, blocks: [block] },
      );
    };
    await fromHome(ADMIN, 'roster_add', { selected_user: OTHER_USER });
    await app.slack.waitFor(
      async () => (await suite.db.models.User.findByPk(OTHER_USER))?.isTechnician === true,
      'technician added',
    );
    await fromHome(TECHNICIAN, 'roster_remove', { value: OTHER_USER });
    const notice = await app.slack.waitForCall(
      'views.open',
      (a) => a.trigger_id === `trigger.home.roster_remove.${TECHNICIAN}`,
    );
    expect(JSON.stringify(notice.args.view)).toContain('Only admins');
    expect((await suite.db.models.User.findByPk(OTHER_USER))?.isTechnician).toBe(true);
    await fromHome(ADMIN, 'roster_remove', { value: OTHER_USER });
    await app.slack.waitFor(
      async () => (await suite.db.models.User.findByPk(OTHER_USER))?.isTechnician === false,
      'technician removed',
    );
  });

  it('an admin adding a technician fetches their profile: their name in the roster, their address for email', async () => {
    const newcomer = 'U0NEWTECH1';
    app.slack.addUser(newcomer, { name: 'Nina New', email: 'nina@example.com', locale: 'fr-FR' });
    try {
      await app.clickInHome(ADMIN, {
        type: 'users_select',
        action_id: 'roster_add',
        block_id: 'roster_add',
        selected_user: newcomer,
      });
      const added = await app.slack.waitFor(async () => {
        const user = await suite.db.models.User.findByPk(newcomer);
        return user?.isTechnician && user.profileRefreshedAt ? user : undefined;
      }, 'the technician added with their profile');
      expect(added).toMatchObject({ name: 'Nina New', email: 'nina@example.com', locale: 'fr-FR' });
      expect(app.slack.callsTo('users.info').some((call) => call.args.user === newcomer)).toBe(true);
      // The admin's App Home is drawn once the roster in memory has been reloaded with them.
      await app.slack.waitFor(
        () => JSON.stringify(lastHome(ADMIN)?.args.view ?? {}).includes('Nina New'),
        'the roster reloaded',
      );
      // The new-ticket modal offers them by name, not by Slack id.
      const opensBefore = app.slack.callsTo('views.open').length;
      await app.command(REQUESTER, 'Who can help?');
      const opened = await app.slack.waitFor(
        (calls) => calls.filter((c) => c.method === 'views.open')[opensBefore],
        'the new-ticket modal',
      );
      const technician = (opened.args.view as { blocks: SlackJson[] }).blocks.find(
        (b) => b.block_id === 'technician',
      );
      expect(
        technician?.element.options.map((o: { value: string; text: { text: string } }) => [
          o.value,
          o.text.text,
        ]),
      ).toContainEqual([newcomer, 'Nina New']);
    } finally {
      await suite.db.models.User.update({ isTechnician: false }, { where: { id: newcomer } });
    }
  });

  it('reaches technicians past the rows the App Home shows: an admin removes them from a select', async () => {
    const many = Array.from({ length: 25 }, (_, i) => `U0MANY${String(i).padStart(4, '0')}`);
    await suite.db.models.User.bulkCreate(many.map((id) => ({ id, name: `Tech ${id}`, isTechnician: true })));
    try {
      await homeOpened(ADMIN);
      const home = await app.slack.waitFor(() => {
        const view = lastHome(ADMIN)?.args.view as { blocks: SlackJson[] } | undefined;
        return view && JSON.stringify(view).includes('more') ? view : undefined;
      }, 'home with a long roster');
      const rows = home.blocks.filter((b) => String(b.block_id).startsWith('roster:'));
      expect(rows.length).toBeLessThan(many.length);
      const last = many.at(-1)!;
      expect(rows.some((b) => b.block_id === `roster:${last}`)).toBe(false);
      const controls = home.blocks.find((b) => b.block_id === 'roster_add')!;
      expect(controls.elements.map((e: { action_id: string }) => e.action_id)).toEqual([
        'roster_add',
        'roster_remove',
      ]);
      await app.clickInHome(
        ADMIN,
        { type: 'users_select', action_id: 'roster_remove', block_id: 'roster_add', selected_user: last },
        { blocks: home.blocks },
      );
      await app.slack.waitFor(
        async () => (await suite.db.models.User.findByPk(last))?.isTechnician === false,
        'the last technician removed',
      );
    } finally {
      await suite.db.models.User.update({ isTechnician: false }, { where: { id: many } });
    }
  });

  it('the message shortcut opens the modal prefilled from the message; the card links back to it', async () => {
    const opensBefore = app.slack.callsTo('views.open').length;
    await app.messageShortcut(
      REQUESTER,
      { id: 'C0SUPPORT1', name: 'support' },
      {
        user: OTHER_USER,
        ts: '1690000000.000100',
        text: 'Wifi is down on floor 2 &amp; 3\nSince 9am, see <https://status.example.com|status> cc <@U0TECH0001> <!here>',
      },
      'trigger.shortcut.1',
    );
    const opened = await app.slack.waitFor(
      (calls) => calls.filter((c) => c.method === 'views.open')[opensBefore],
      'modal',
    );
    const view = opened.args.view as { blocks: SlackJson[] };
    expect(view.blocks[0].element.initial_value).toBe('Wifi is down on floor 2 & 3');
    // Links and mentions read as they do in Slack, not as mrkdwn tokens the card would show escaped.
    expect(view.blocks[1].element.initial_value).toBe(
      'Wifi is down on floor 2 & 3\nSince 9am, see status (https://status.example.com) cc @Tom Tech @here',
    );
    await app.submitView(REQUESTER, opened, {
      title: { title: { type: 'plain_text_input', value: 'Wifi is down on floor 2 & 3' } },
      priority: { priority: { type: 'static_select', selected_option: { value: 'urgent' } } },
    });
    const ticket = await app.slack.waitFor(
      () => suite.db.models.Ticket.findOne({ where: { sourceMessageTs: '1690000000.000100' } }),
      'ticket',
    );
    expect(ticket).toMatchObject({
      sourceChannelId: 'C0SUPPORT1',
      sourcePermalink: expect.stringContaining('/archives/C0SUPPORT1/p1690000000000100'),
    });
    const card = await app.slack.waitForCall(
      'chat.postMessage',
      (a) => String(a.text).includes(`#${ticket.id}`) || String(a.text).includes(`Ticket #${ticket.id}`),
    );
    expect(JSON.stringify(card.args.blocks)).toContain('/archives/C0SUPPORT1/p1690000000000100');
  });

  it('answers /ticket help and /ticket mine only to the caller, in their language', async () => {
    const help = await app.command(REQUESTER, 'help');
    expect(help.json()).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining('/ticket'),
    });
    const mine = await app.command(REQUESTER, 'mine');
    expect(mine.json()).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining('Home ticket'),
    });
    // Someone ticketbot has not met yet: the answer cannot wait for their profile (users.info),
    // so it is in the language their word says, or English; their profile is looked up after.
    const aide = await app.command(FRENCH_USER, 'aide');
    expect((aide.json() as { text: string }).text).toContain('ouvre un nouveau ticket');
    await app.slack.waitFor(
      async () => (await suite.db.models.User.findByPk(FRENCH_USER))?.locale === 'fr-FR',
      'the profile looked up after the answer',
    );
    const none = await app.command(FRENCH_USER, 'mine');
    expect((none.json() as { text: string }).text).toBe('Vous n’avez aucun ticket ouvert.');
  });

  it('answers /ticket help at once while Slack is slow to describe the person (users.info held)', async () => {
    const stranger = 'U0STRANGE1';
    app.slack.addUser(stranger, { name: 'Sam', locale: 'fr-FR' });
    const held = app.slack.hold('users.info', (a) => a.user === stranger);
    try {
      const help = await app.command(stranger, 'help');
      // The answer arrived while users.info is still held: the ack did not wait on it.
      expect(help.status).toBe(200);
      expect((help.json() as { text: string }).text).toContain('opens a new ticket');
      await held.arrived;
    } finally {
      held.release();
    }
  });

  it('answers a submission at once while users.info is held (a replica that never met the person)', async () => {
    const opensBefore = app.slack.callsTo('views.open').length;
    await app.command(REQUESTER, 'Blank title next');
    const opened = await app.slack.waitFor(
      (calls) => calls.filter((c) => c.method === 'views.open')[opensBefore],
      'modal',
    );
    const newcomer = 'U0STRANGE2';
    app.slack.addUser(newcomer, { name: 'Sacha', locale: 'fr-FR' });
    const held = app.slack.hold('users.info', (a) => a.user === newcomer);
    try {
      const submitted = await app.submitView(newcomer, opened, {
        title: { title: { type: 'plain_text_input', value: '   ' } },
        priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
      });
      // Answered while users.info is still held: in the default language, on the field.
      expect(submitted.json()).toMatchObject({
        response_action: 'errors',
        errors: { title: 'Give the ticket a title.' },
      });
    } finally {
      held.release();
    }
  });

  it('answers an empty comment at once while users.info is held (a replica that never met the person)', async () => {
    const card = await app.createTicket(REQUESTER, 'Comment from a stranger');
    await app.click(REQUESTER, card, 'ticket_comment');
    const opened = await app.slack.waitForCall(
      'views.open',
      (a) => (a.view as { callback_id?: string }).callback_id === 'add_comment',
    );
    const newcomer = 'U0STRANGE4';
    app.slack.addUser(newcomer, { name: 'Lou' });
    const held = app.slack.hold('users.info', (a) => a.user === newcomer);
    try {
      const submitted = await app.submitView(newcomer, opened, {
        comment: { comment: { type: 'plain_text_input', value: '  ' } },
      });
      expect(submitted.json()).toMatchObject({
        response_action: 'errors',
        errors: { comment: 'Write something.' },
      });
    } finally {
      held.release();
    }
  });

  it('speaks French to a French-speaking requester: modal, card and DM', async () => {
    // The first modal is opened in English (nothing is known yet) and redrawn in French.
    const newcomer = 'U0NOUVEAU1';
    app.slack.addUser(newcomer, { name: 'Noémie', locale: 'fr-CA' });
    const card = await app.createTicket(newcomer, 'Imprimante en panne');
    const update = await app.slack.waitForCall('views.update', (a) =>
      JSON.stringify(a.view).includes('Nouveau ticket'),
    );
    expect(update.args.view).toMatchObject({ title: { text: 'Nouveau ticket' } });
    expect(JSON.stringify(card.blocks)).toContain('Priorité');
    const dm = await app.slack.waitForCall('chat.postMessage', (a) => a.channel === `D${newcomer.slice(1)}`);
    expect(String(dm.args.text)).toContain('Votre ticket');
    // The second time, the language is known before the modal opens.
    app.slack.clear();
    await app.command(newcomer, '');
    const opened = await app.slack.waitForCall('views.open');
    expect(opened.args.view).toMatchObject({ title: { text: 'Nouveau ticket' } });
  });

  it('speaks German to a German-speaking requester (de-DE): modal, card, DM, field errors, help and the rating DM', async () => {
    const newcomer = 'U0NEULING1';
    app.slack.addUser(newcomer, { name: 'Jonas', locale: 'de-DE' });
    const card = await app.createTicket(newcomer, '<!channel> Drucker kaputt', {
      technician: { technician: { type: 'static_select', selected_option: { value: TECHNICIAN } } },
    });
    const update = await app.slack.waitForCall('views.update', (a) =>
      JSON.stringify(a.view).includes('Neues Ticket'),
    );
    expect(update.args.view).toMatchObject({
      title: { text: 'Neues Ticket' },
      submit: { text: 'Erstellen' },
    });
    const shown = JSON.stringify(card.blocks);
    expect(shown).toContain('*Priorität*');
    expect(shown).toContain('Zuweisung aufheben');
    expect(shown).toContain('Jonas hat das Ticket eröffnet');
    const posted = app.slack.calls.find((c) => c.method === 'chat.postMessage' && c.response.ts === card.ts)!;
    expect(String(posted.args.text)).toMatch(/^Ticket #\d+: &lt;!channel&gt; Drucker kaputt$/);
    const dm = await app.slack.waitForCall('chat.postMessage', (a) => a.channel === `D${newcomer.slice(1)}`);
    expect(String(dm.args.text)).toMatch(
      /^Ihr Ticket <[^|]+\|#\d+ &lt;!channel&gt; Drucker kaputt> ist eröffnet\./,
    );

    // Known now: the next modal opens in German, and says what is wrong in German.
    app.slack.clear();
    await app.command(newcomer, '');
    const opened = await app.slack.waitForCall('views.open');
    expect(opened.args.view).toMatchObject({ title: { text: 'Neues Ticket' } });
    const blank = await app.submitView(newcomer, opened, {
      title: { title: { type: 'plain_text_input', value: '  ' } },
      priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
    });
    expect(blank.json()).toMatchObject({
      response_action: 'errors',
      errors: { title: 'Geben Sie dem Ticket einen Titel.' },
    });
    const mine = await app.command(newcomer, 'meine');
    expect((mine.json() as { text: string }).text).toContain('Ihre offenen Tickets:');

    // Someone not met yet, from Austria: the German word answers in German at once.
    const stranger = 'U0FREMDE01';
    app.slack.addUser(stranger, { name: 'Lena', locale: 'de-AT' });
    const hilfe = await app.command(stranger, 'hilfe');
    expect((hilfe.json() as { text: string }).text).toContain('eröffnet ein neues Ticket');

    // Closed: the rating DM asks in German.
    await app.click(TECHNICIAN, card, 'ticket_close');
    const prompt = await app.slack.waitForCall(
      'chat.postMessage',
      (a) => a.channel === `D${newcomer.slice(1)}` && String(a.text).includes('geschlossen'),
    );
    expect(String(prompt.args.text)).toMatch(/wurde geschlossen\. Wie zufrieden waren Sie mit Tom Tech\?$/);
  });

  it('never lets a title ping anyone and keeps huge text within Block Kit limits', async () => {
    const title = `<!channel> <@U0TECH0001> & ${'x'.repeat(120)}`.slice(0, 150);
    const card = await app.createTicket(REQUESTER, title, {
      description: { description: { type: 'plain_text_input', value: `${'<&>'.repeat(1000)}` } },
    });
    // mrkdwn (where Slack would expand mentions) is escaped; plain_text (the header) is shown as typed.
    const mrkdwn: string[] = [];
    JSON.stringify(card.blocks, (_key, value) => {
      if (value && typeof value === 'object' && value.type === 'mrkdwn') mrkdwn.push(value.text);
      return value;
    });
    const posted = app.slack.calls.find((c) => c.method === 'chat.postMessage' && c.response.ts === card.ts)!;
    for (const text of [...mrkdwn, String(posted.args.text)]) {
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<@U0TECH0001>');
    }
    expect(String(posted.args.text)).toContain('&lt;!channel&gt;');
    const description = card.blocks.find((b) => b.type === 'section' && (b as SlackJson).text) as {
      text: { text: string };
    };
    expect(description.text.text.length).toBeLessThanOrEqual(3000);
    expect(description.text.text.endsWith('…')).toBe(true);
    expect(description.text.text).not.toMatch(/&[a-z]*…$/);
  });

  it('a reopened ticket voids the pending rating prompt', async () => {
    const card = await app.createTicket(REQUESTER, 'Reopen me', {
      technician: { technician: { type: 'static_select', selected_option: { value: TECHNICIAN } } },
    });
    await app.click(TECHNICIAN, card, 'ticket_close');
    const prompt = await app.slack.waitForCall(
      'chat.postMessage',
      (a) =>
        JSON.stringify(a.blocks ?? []).includes('Reopen me') &&
        JSON.stringify(a.blocks ?? []).includes('ticket_rate_5'),
    );
    const closed = await app.slack.waitFor(() => {
      const c = app.card(card.channel, card.ts);
      return JSON.stringify(c.blocks).includes('ticket_reopen') ? c : undefined;
    }, 'closed card');
    await app.click(REQUESTER, closed, 'ticket_reopen');
    const ticket = await app.slack.waitFor(async () => {
      const t = await suite.db.models.Ticket.findByPk(Number(/#(\d+)/.exec(String(prompt.args.text))?.[1]));
      return t?.status === 'open' ? t : undefined;
    }, 'reopened');
    const dm = {
      channel: prompt.response.channel as string,
      ts: prompt.response.ts as string,
      blocks: prompt.args.blocks as SlackJson,
    };
    await app.click(REQUESTER, dm, 'ticket_rate_5');
    await app.slack.waitForCall(
      'chat.update',
      (a) => a.ts === dm.ts && String(a.text).includes('no longer applies'),
    );
    expect(await suite.db.models.Rating.count({ where: { ticketId: ticket.id } })).toBe(0);
  });
});

describeEachDatabase('Slack: a ticket from a message when the workspace address is unknown', (suite) => {
  // auth.test answers at start-up (the token is good) but fails when asked for the workspace's
  // address: links to messages then come from chat.getPermalink.
  let authTests = 0;
  const app = useSlackTestApp(suite, {}, undefined, {
    beforeStart: (slack) => slack.failNext('auth.test', 'internal_error', 1, () => ++authTests === 2),
  });

  it('acknowledges the submission without waiting on chat.getPermalink, then links the card to the message', async () => {
    await app.messageShortcut(
      REQUESTER,
      { id: 'C0SUPPORT1', name: 'support' },
      { user: OTHER_USER, ts: '1690000000.000300', text: 'VPN drops every hour' },
      'trigger.shortcut.nourl',
    );
    const opened = await app.slack.waitForCall(
      'views.open',
      (a) => a.trigger_id === 'trigger.shortcut.nourl',
    );
    const held = app.slack.hold('chat.getPermalink', (a) => a.message_ts === '1690000000.000300');
    let ticketId: number;
    try {
      const submitted = await app.submitView(REQUESTER, opened, {
        title: { title: { type: 'plain_text_input', value: 'VPN drops every hour' } },
        priority: { priority: { type: 'static_select', selected_option: { value: 'high' } } },
      });
      // The ack arrived while chat.getPermalink is still held.
      expect(submitted.status).toBe(200);
      expect(submitted.text).toBe('');
      await held.arrived;
      const ticket = await suite.db.models.Ticket.findOne({
        where: { sourceMessageTs: '1690000000.000300' },
      });
      expect(ticket).toMatchObject({ sourceChannelId: 'C0SUPPORT1', sourcePermalink: null });
      expect(await cardOf(suite.db, ticket!.id)).toMatchObject({ messageTs: null });
      ticketId = ticket!.id;
    } finally {
      held.release();
    }
    const card = await app.slack.waitForCall(
      'chat.postMessage',
      (a) => a.channel === HELPDESK && String(a.text).includes(`#${ticketId}`),
    );
    expect(JSON.stringify(card.args.blocks)).toContain('/archives/C0SUPPORT1/p1690000000000300');
    expect(await suite.db.models.Ticket.findByPk(ticketId)).toMatchObject({
      sourcePermalink: expect.stringContaining('/archives/C0SUPPORT1/p1690000000000300'),
    });
  });
});
