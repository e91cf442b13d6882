import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/db.js';
import { REQUESTER, type SlackJson, TECHNICIAN, useSlackTestApp } from '../support/slackApp.js';

// The App Home's "Emails you get": a signed block_actions payload from its checkboxes saves the
// person's choice and the home is published again with the boxes as saved.

describeEachDatabase('Slack: choosing emails in the App Home', (suite) => {
  // Rita (REQUESTER) has rita@example.com in MANAGER_EMAILS: she is offered the digest too.
  const app = useSlackTestApp(suite, { MANAGER_EMAILS: 'rita@example.com' });

  const homeOpened = (user: string) =>
    app.event({
      type: 'app_home_opened',
      user,
      channel: 'D0HOME',
      tab: 'home',
      event_ts: '1700000000.000001',
    });
  const emailBlock = (view: unknown) =>
    (view as { blocks: SlackJson[] }).blocks.find((b) => b.block_id === 'email_preferences');
  const values = (options: Array<{ value: string }> | undefined) => (options ?? []).map((o) => o.value);

  it('offers every kind (the digest to a manager only), all ticked by default', async () => {
    await homeOpened(REQUESTER);
    const home = await app.slack.waitForCall('views.publish', (a) => a.user_id === REQUESTER);
    const boxes = emailBlock(home.args.view)?.accessory;
    expect(boxes?.type).toBe('checkboxes');
    const all = [
      'ticket_created',
      'ticket_assigned',
      'ticket_status_changed',
      'ticket_closed',
      'ticket_commented',
      'ticket_sla_breached',
      'digest',
    ];
    expect(values(boxes.options)).toEqual(all);
    expect(values(boxes.initial_options)).toEqual(all);
    expect(JSON.stringify(emailBlock(home.args.view))).toContain('Emails you get');

    await homeOpened(TECHNICIAN);
    const techHome = await app.slack.waitForCall('views.publish', (a) => a.user_id === TECHNICIAN);
    expect(values(emailBlock(techHome.args.view)?.accessory.options)).toEqual(all.slice(0, -1));
  });

  it('unticking a box saves it off and republishes the home with that box unticked', async () => {
    await homeOpened(REQUESTER);
    const home = await app.slack.waitForCall('views.publish', (a) => a.user_id === REQUESTER);
    const block = emailBlock(home.args.view)!;
    const kept = block.accessory.options.filter((o: { value: string }) => o.value !== 'ticket_commented');
    const before = app.slack.callsTo('views.publish').length;
    await app.clickInHome(
      REQUESTER,
      {
        type: 'checkboxes',
        action_id: 'email_preferences',
        block_id: 'email_preferences',
        selected_options: kept,
      },
      { blocks: (home.args.view as { blocks: unknown[] }).blocks },
    );
    const republished = await app.slack.waitFor(
      (calls) =>
        calls
          .filter((c) => c.method === 'views.publish')
          .slice(before)
          .find(
            (c) =>
              c.args.user_id === REQUESTER &&
              !values(emailBlock(c.args.view)?.accessory.initial_options).includes('ticket_commented'),
          ),
      'the home republished with the box unticked',
    );
    const rows = await suite.db.models.EmailPreference.findAll({ where: { userId: REQUESTER } });
    expect(rows.map((row) => [row.kind, row.enabled])).toEqual([['ticket_commented', false]]);
    const boxes = emailBlock(republished.args.view)!.accessory;
    expect(values(boxes.options)).toContain('ticket_commented');
    expect(values(boxes.initial_options)).not.toContain('ticket_commented');
    expect(values(boxes.initial_options)).toContain('digest');

    // Ticking it again turns it back on.
    await app.clickInHome(
      REQUESTER,
      {
        type: 'checkboxes',
        action_id: 'email_preferences',
        block_id: 'email_preferences',
        selected_options: block.accessory.options,
      },
      { blocks: (republished.args.view as { blocks: unknown[] }).blocks },
    );
    await app.slack.waitFor(async () => {
      const row = await suite.db.models.EmailPreference.findOne({
        where: { userId: REQUESTER, kind: 'ticket_commented' },
      });
      return row?.enabled === true;
    }, 'the box saved on again');
  });

  it('tells the person, in a small modal, when the database does not take the click; nothing saved', async () => {
    await homeOpened(REQUESTER);
    const home = await app.slack.waitForCall('views.publish', (a) => a.user_id === REQUESTER);
    const block = emailBlock(home.args.view)!;
    const kept = block.accessory.options.filter((o: { value: string }) => o.value !== 'ticket_closed');
    // The table gone for a moment: every statement on it fails, as with the database away.
    await suite.db.sequelize.query('ALTER TABLE email_preferences RENAME TO email_preferences_away');
    try {
      await app.clickInHome(
        REQUESTER,
        {
          type: 'checkboxes',
          action_id: 'email_preferences',
          block_id: 'email_preferences',
          selected_options: kept,
        },
        { blocks: (home.args.view as { blocks: unknown[] }).blocks, triggerId: 'trigger.prefs.down' },
      );
      const notice = await app.slack.waitForCall('views.open', (a) => a.trigger_id === 'trigger.prefs.down');
      expect(JSON.stringify(notice.args.view)).toContain('could not save your choice of emails');
      await app.bot.slack!.settled();
    } finally {
      await suite.db.sequelize.query('ALTER TABLE email_preferences_away RENAME TO email_preferences');
    }
    expect(
      await suite.db.models.EmailPreference.count({ where: { userId: REQUESTER, kind: 'ticket_closed' } }),
    ).toBe(0);
  });
});
