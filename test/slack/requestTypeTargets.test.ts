import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/db.js';
import { ADMIN, REQUESTER, type SlackJson, useSlackTestApp } from '../support/slackApp.js';
import { ticketOfCard } from '../support/slackCards.js';

// Per request type service-level targets in Slack (issue 15 §1): the request type modal asks for
// each priority's own target ("1h/4h"; empty: the priority's, shown as the placeholder), refuses
// one that does not read with Slack's response_action "errors" on its block, in the admin's
// language, and the App Home lists what a type sets. The clocks themselves: test/sla/typeTargets.test.ts.

const FRENCH_ADMIN = 'U0ADMINFR1';
const GERMAN_ADMIN = 'U0ADMINDE1';

describeEachDatabase('Slack: request types’ own service-level targets', (suite) => {
  const app = useSlackTestApp(
    suite,
    { ADMIN_USER_IDS: `${ADMIN},${FRENCH_ADMIN},${GERMAN_ADMIN}` },
    undefined,
    {
      beforeStart: (slack) => {
        slack.addUser(FRENCH_ADMIN, { name: 'Aline Admin', locale: 'fr-FR' });
        slack.addUser(GERMAN_ADMIN, { name: 'Anke Admin', locale: 'de-DE' });
      },
    },
  );
  const settled = () => app.bot.slack!.settled();

  /** The admin's click on Add a request type (`typeId`: Edit on that type), and the modal opened. */
  async function openModal(userId: string, typeId?: number): Promise<SlackJson> {
    const trigger = app.newTriggerId();
    await app.clickInHome(
      userId,
      typeId === undefined
        ? { type: 'button', action_id: 'request_type_edit', block_id: 'request_type_add', value: 'new' }
        : {
            type: 'button',
            action_id: 'request_type_edit',
            block_id: `request_type:${typeId}`,
            value: String(typeId),
          },
      { triggerId: trigger },
    );
    return app.slack.waitForCall('views.open', (args) => args.trigger_id === trigger);
  }

  const text = (value: string) => ({ type: 'plain_text_input', value });
  const form = (name: string, targets: Record<string, string>, flags: string[] = []) => ({
    rt_name: { rt_name: text(name) },
    rt_priority: { rt_priority: { type: 'static_select', selected_option: { value: 'normal' } } },
    rt_assignment: { rt_assignment: { type: 'static_select', selected_option: { value: 'none' } } },
    rt_flags: { rt_flags: { type: 'checkboxes', selected_options: flags.map((value) => ({ value })) } },
    ...Object.fromEntries(
      Object.entries(targets).map(([priority, written]) => [
        `rt_sla_${priority}`,
        { [`rt_sla_${priority}`]: text(written) },
      ]),
    ),
  });

  const targetBlocks = (modal: SlackJson) =>
    (modal.args.view.blocks as SlackJson[])
      .filter((block) => String(block.block_id ?? '').startsWith('rt_sla_'))
      .map((block) => ({
        block: block.block_id,
        optional: block.optional,
        placeholder: block.element.placeholder?.text,
        initial: block.element.initial_value,
      }));

  /**
   * `userId` opens their App Home: ticketbot looks their profile up (users.info) and keeps their
   * locale, which an answer that cannot wait (a view_submission's) is written in. Resolves with
   * that home, published.
   */
  async function openHome(userId: string, locale: string): Promise<string> {
    const published = app.slack.callsTo('views.publish').length;
    await app.event({
      type: 'app_home_opened',
      user: userId,
      channel: `D0${userId.slice(2)}`,
      tab: 'home',
      event_ts: '1700000000.000001',
    });
    await app.slack.waitFor(
      async () => (await suite.db.models.User.findByPk(userId))?.locale === locale,
      `the profile of ${userId} looked up`,
    );
    const home = await app.slack.waitFor(
      (calls) =>
        calls
          .filter((call) => call.method === 'views.publish')
          .slice(published)
          .find((call) => call.args.user_id === userId),
      `the home of ${userId}`,
    );
    return JSON.stringify(home.args.view);
  }

  const lastHomeOf = (userId: string) =>
    JSON.stringify(
      app.slack.calls.filter((call) => call.method === 'views.publish' && call.args.user_id === userId).at(-1)
        ?.args.view,
    );

  it('asks each priority’s own target, with the priority’s as placeholder, and refuses what does not read in the admin’s language', async () => {
    const modal = await openModal(ADMIN);
    expect(targetBlocks(modal)).toEqual([
      { block: 'rt_sla_urgent', optional: true, placeholder: '1h/4h', initial: undefined },
      { block: 'rt_sla_high', optional: true, placeholder: '4h/1d', initial: undefined },
      { block: 'rt_sla_normal', optional: true, placeholder: '1d/3d', initial: undefined },
      { block: 'rt_sla_low', optional: true, placeholder: '2d/5d', initial: undefined },
    ]);
    expect(JSON.stringify(modal.args.view.blocks)).toContain('Urgent: first response / resolution');

    const wrong = { urgent: 'soon', high: '4h/1h', normal: '2h/1d' };
    const refused = await app.submitView(ADMIN, modal, form('Outage', wrong));
    expect(refused.json()).toEqual({
      response_action: 'errors',
      errors: {
        rt_sla_urgent:
          'Write the first response, a slash, then the resolution, such as 1h/4h, 30m/1d or 2d/5d (m, h, or d for one business day). Leave it empty for the priority’s target.',
        rt_sla_high:
          'The resolution cannot take less time than the first response: put the shorter time first, such as 1h/4h.',
      },
    });

    await openHome(FRENCH_ADMIN, 'fr-FR');
    await openHome(GERMAN_ADMIN, 'de-DE');
    const french = await app.submitView(FRENCH_ADMIN, await openModal(FRENCH_ADMIN), form('Outage', wrong));
    expect(french.json()).toEqual({
      response_action: 'errors',
      errors: {
        rt_sla_urgent: expect.stringContaining('Écrivez la première réponse'),
        rt_sla_high: expect.stringContaining('La résolution ne peut pas prendre moins de temps'),
      },
    });
    const german = await app.submitView(GERMAN_ADMIN, await openModal(GERMAN_ADMIN), form('Outage', wrong));
    expect(german.json()).toEqual({
      response_action: 'errors',
      errors: {
        rt_sla_urgent: expect.stringContaining('Schreiben Sie die erste Antwort'),
        rt_sla_high: expect.stringContaining('Die Lösung kann nicht weniger Zeit brauchen'),
      },
    });
    await settled();
    expect(await suite.db.models.RequestType.count({ where: { name: 'Outage' } })).toBe(0);
  });

  it('stores the targets given, shows them in the App Home and the modal, and takes one off when emptied', async () => {
    const saved = await app.submitView(
      ADMIN,
      await openModal(ADMIN),
      form('Outage', { urgent: ' 30M/2h ', high: '', normal: '2h/1d' }),
    );
    expect(saved.text).toBe('');
    await settled();
    const outage = (await suite.db.models.RequestType.findOne({ where: { name: 'Outage' } }))!;
    expect(JSON.parse(outage.slaTargets ?? 'null')).toEqual({ urgent: '30m/2h', normal: '2h/1d' });
    expect(lastHomeOf(ADMIN)).toContain('own targets: Urgent 30m/2h, Normal 2h/1d');

    // Edit: the modal shows them; the urgent one emptied goes back to the priority's.
    const edit = await openModal(ADMIN, outage.id);
    expect(targetBlocks(edit).map((block) => [block.block, block.initial])).toEqual([
      ['rt_sla_urgent', '30m/2h'],
      ['rt_sla_high', undefined],
      ['rt_sla_normal', '2h/1d'],
      ['rt_sla_low', undefined],
    ]);
    expect((await app.submitView(ADMIN, edit, form('Outage', { urgent: '', normal: '2h/1d' }))).text).toBe(
      '',
    );
    await settled();
    await outage.reload();
    expect(JSON.parse(outage.slaTargets ?? 'null')).toEqual({ normal: '2h/1d' });
    expect(lastHomeOf(ADMIN)).toContain('own targets: Normal 2h/1d');
    expect(lastHomeOf(ADMIN)).not.toContain('Urgent 30m/2h');

    // A French admin's App Home says it in French.
    expect(await openHome(FRENCH_ADMIN, 'fr-FR')).toContain('objectifs propres : Normale 2h/1d');

    // Two normal tickets opened one after the other: the type's 2 h to respond comes before 1 d.
    // (The new-ticket modal opens on the default type: each is made the default in turn.)
    const pick = (id: number) => ({
      request_type: { request_type: { type: 'static_select', selected_option: { value: String(id) } } },
      priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
    });
    const cardTicket = async (title: string, typeId: number) =>
      (await ticketOfCard(suite.db, (await app.createTicket(REQUESTER, title, pick(typeId))).ts))!;
    const asDefault = form('Outage', { normal: '2h/1d' }, ['default']);
    expect((await app.submitView(ADMIN, await openModal(ADMIN, outage.id), asDefault)).text).toBe('');
    await settled();
    const fast = await cardTicket('Site down', outage.id);
    const plain = await app.submitView(ADMIN, await openModal(ADMIN), form('Printing', {}, ['default']));
    expect(plain.text).toBe('');
    await settled();
    const printing = (await suite.db.models.RequestType.findOne({ where: { name: 'Printing' } }))!;
    expect(printing.slaTargets).toBeNull();
    const slow = await cardTicket('Toner', printing.id);
    expect([fast.requestTypeId, slow.requestTypeId]).toEqual([outage.id, printing.id]);
    expect(fast.slaResponseDueAt!.getTime()).toBeLessThan(slow.slaResponseDueAt!.getTime());
    expect(fast.slaResolutionDueAt!.getTime()).toBeLessThan(slow.slaResolutionDueAt!.getTime());
  });
});
