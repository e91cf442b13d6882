import { expect, it } from 'vitest';
import { storedFieldsOf } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import type { SlackCall } from '../support/slackApi.js';
import {
  ADMIN,
  type Card,
  HELPDESK,
  REQUESTER,
  type SlackJson,
  TECHNICIAN,
  useSlackTestApp,
} from '../support/slackApp.js';
import { ticketOfCard } from '../support/slackCards.js';

// Request types in Slack (issue 14 §2): an admin defines one in the App Home, the new-ticket modal
// asks the type first and redraws itself with that type's fields (views.update with the view's
// hash), and the card shows the type and the answers. Every view goes through the test Slack's
// Block Kit checks.

describeEachDatabase('Slack: request types', (suite) => {
  const app = useSlackTestApp(suite);
  const settled = () => app.bot.slack!.settled();

  /** A block_actions from inside a modal, as Slack sends it for a dispatch_action input. */
  const pickInModal = (
    userId: string,
    call: SlackCall,
    values: Record<string, Record<string, unknown>>,
    action: Record<string, unknown>,
    hash?: string,
  ) => {
    const view = call as SlackJson;
    return app.send({
      interactive: {
        type: 'block_actions',
        team: { id: app.slack.teamId },
        user: { id: userId, team_id: app.slack.teamId },
        api_app_id: 'A0TICKETBOT',
        trigger_id: app.newTriggerId(),
        container: { type: 'view', view_id: view.response.view.id },
        view: {
          id: view.response.view.id,
          type: 'modal',
          callback_id: view.args.view.callback_id,
          private_metadata: view.args.view.private_metadata,
          hash: hash ?? view.response.view.hash,
          blocks: view.args.view.blocks,
          state: { values },
        },
        actions: [{ action_ts: '1700000000.000002', ...action }],
      },
    });
  };

  async function defineType(values: Record<string, Record<string, unknown>>) {
    const trigger = app.newTriggerId();
    await app.clickInHome(
      ADMIN,
      { type: 'button', action_id: 'request_type_edit', block_id: 'request_type_add', value: 'new' },
      { triggerId: trigger },
    );
    const opened: SlackJson = await app.slack.waitForCall(
      'views.open',
      (args) => args.trigger_id === trigger,
    );
    return { opened, answer: await app.submitView(ADMIN, opened, values) };
  }

  const typeForm = (name: string, extra: Record<string, Record<string, unknown>> = {}) => ({
    rt_name: { rt_name: { type: 'plain_text_input', value: name } },
    rt_priority: { rt_priority: { type: 'static_select', selected_option: { value: 'high' } } },
    rt_assignment: { rt_assignment: { type: 'static_select', selected_option: { value: 'none' } } },
    rt_flags: { rt_flags: { type: 'checkboxes', selected_options: [{ value: 'default' }] } },
    ...extra,
  });

  it('an admin defines a type in the App Home; the modal then asks for the type and its fields', async () => {
    const { opened, answer } = await defineType(
      typeForm('Hardware', {
        rt_description: { rt_description: { type: 'plain_text_input', value: 'Laptops and screens' } },
        rt_field_0_label: { rt_field_0_label: { type: 'plain_text_input', value: 'Asset tag' } },
        rt_field_0_kind: {
          rt_field_0_kind: { type: 'static_select', selected_option: { value: 'short:required' } },
        },
        rt_field_1_label: { rt_field_1_label: { type: 'plain_text_input', value: 'Site' } },
        rt_field_1_kind: { rt_field_1_kind: { type: 'static_select', selected_option: { value: 'choice' } } },
        rt_field_1_options: { rt_field_1_options: { type: 'plain_text_input', value: 'Paris\nLyon\n' } },
      }),
    );
    expect(opened.args.view.callback_id).toBe('request_type');
    expect(answer.text).toBe('');
    await settled();
    const [hardware] = await suite.db.models.RequestType.findAll();
    expect(hardware).toMatchObject({ name: 'Hardware', defaultPriority: 'high', isDefault: true });
    await defineType({
      ...typeForm('Access'),
      rt_flags: { rt_flags: { type: 'checkboxes', selected_options: [] } },
    });
    await settled();
    // The admin's home lists both, each with its Edit button.
    const home = app.slack.calls
      .filter((call) => call.method === 'views.publish' && call.args.user_id === ADMIN)
      .at(-1)!;
    expect(JSON.stringify(home.args.view)).toContain('request_type:');
    expect(JSON.stringify(home.args.view)).toContain('Hardware');

    // /ticket: the default type is shown first, with its description and fields.
    const typed = app.newTriggerId();
    await app.command(REQUESTER, 'Screen broken', 'C0GENERAL1', typed);
    const modal: SlackJson = await app.slack.waitForCall('views.open', (args) => args.trigger_id === typed);
    const blocks = modal.args.view.blocks as Array<{ block_id?: string; dispatch_action?: boolean }>;
    expect(blocks[0]).toMatchObject({ block_id: 'request_type', dispatch_action: true });
    const fieldBlocks = blocks
      .filter((block) => block.block_id?.startsWith('field_'))
      .map((block) => block.block_id);
    expect(fieldBlocks).toHaveLength(2);
    const [tagBlock, siteBlock] = fieldBlocks as [string, string];

    // A required field left empty is marked on its field, in the person's language.
    const title = { title: { type: 'plain_text_input', value: 'Screen broken' } };
    const priority = { priority: { type: 'static_select', selected_option: { value: 'normal' } } };
    const hardwareType = {
      request_type: { type: 'static_select', selected_option: { value: String(hardware!.id) } },
    };
    const missing = await app.submitView(REQUESTER, modal, { title, priority, request_type: hardwareType });
    expect(missing.json()).toEqual({
      response_action: 'errors',
      errors: { [tagBlock]: 'This is needed for this type of request.' },
    });

    // Another type picked: the modal is redrawn with its fields, what was typed kept.
    const access = (await suite.db.models.RequestType.findOne({ where: { name: 'Access' } }))!;
    const accessType = {
      request_type: { type: 'static_select', selected_option: { value: String(access.id) } },
    };
    const typedSoFar = { title, priority, request_type: accessType };
    await pickInModal(REQUESTER, modal, typedSoFar, {
      type: 'static_select',
      action_id: 'request_type',
      block_id: 'request_type',
      selected_option: { value: String(access.id) },
    });
    const redrawn: SlackJson = await app.slack.waitForCall(
      'views.update',
      (args) => args.view_id === modal.response.view.id,
    );
    expect(redrawn.response.ok).toBe(true);
    expect(redrawn.args.hash).toBe(modal.response.view.hash);
    expect(JSON.stringify(redrawn.args.view)).toContain('"initial_value":"Screen broken"');
    expect(JSON.stringify(redrawn.args.view)).not.toContain(tagBlock);
    // A redraw from the state before that one is refused by Slack (hash_conflict) and left alone.
    await pickInModal(
      REQUESTER,
      modal,
      { title, priority, request_type: accessType },
      {
        type: 'static_select',
        action_id: 'request_type',
        block_id: 'request_type',
        selected_option: { value: String(access.id) },
      },
    );
    await settled();
    const updates = app.slack
      .callsTo('views.update')
      .filter((call) => call.args.view_id === modal.response.view.id);
    expect(updates.map((call) => call.response.error ?? 'ok')).toEqual(['ok', 'hash_conflict']);

    // Submitted on the type its fields were drawn for: stored with the answers; the card shows them.
    const back = { ...redrawn, args: redrawn.args, response: redrawn.response } as SlackCall;
    await pickInModal(
      REQUESTER,
      back,
      { title, priority, request_type: hardwareType },
      {
        type: 'static_select',
        action_id: 'request_type',
        block_id: 'request_type',
        selected_option: { value: String(hardware!.id) },
      },
      redrawn.response.view.hash,
    );
    const again = await app.slack.waitFor(
      (calls) => calls.filter((call) => call.method === 'views.update' && call.response.ok).at(1),
      'the modal redrawn for Hardware',
    );
    const posts = app.slack.callsTo('chat.postMessage').length;
    const done = await app.submitView(REQUESTER, again, {
      title,
      priority,
      request_type: hardwareType,
      [tagBlock]: { value: { type: 'plain_text_input', value: 'LT-42' } },
      [siteBlock]: { value: { type: 'static_select', selected_option: { value: 'Lyon' } } },
    });
    expect(done.text).toBe('');
    const card: SlackJson = await app.slack.waitFor(
      (calls) =>
        calls
          .filter((call) => call.method === 'chat.postMessage')
          .slice(posts)
          .find(
            (call) =>
              call.response.ok &&
              Array.isArray(call.args.blocks) &&
              (call.args.blocks as Array<{ type: string }>)[0]?.type === 'header',
          ),
      'the card',
    );
    // Slack has answered the post; ticketbot records the card's ts just after: wait for that.
    const ticket = await app.slack.waitFor(
      () => ticketOfCard(suite.db, card.response.ts),
      'the card recorded',
    );
    expect(ticket.requestTypeId).toBe(hardware!.id);
    expect(storedFieldsOf(ticket).map((field) => [field.label, field.value])).toEqual([
      ['Asset tag', 'LT-42'],
      ['Site', 'Lyon'],
    ]);
    const shown = JSON.stringify(card.args.blocks);
    expect(shown).toContain('Hardware');
    expect(shown).toContain('LT-42');
  });

  it('a technician sets themselves Away and Available from the App Home', async () => {
    await app.clickInHome(TECHNICIAN, {
      type: 'button',
      action_id: 'availability',
      block_id: 'availability',
      value: 'away',
    });
    await settled();
    const tech = await suite.db.models.User.findByPk(TECHNICIAN);
    expect(tech!.awaySince).toBeInstanceOf(Date);
    const home = app.slack.calls
      .filter((call) => call.method === 'views.publish' && call.args.user_id === TECHNICIAN)
      .at(-1)!;
    expect(JSON.stringify(home.args.view)).toContain('"value":"available"');
    await app.clickInHome(TECHNICIAN, {
      type: 'button',
      action_id: 'availability',
      block_id: 'availability',
      value: 'available',
    });
    await settled();
    expect((await suite.db.models.User.findByPk(TECHNICIAN))!.awaySince).toBeNull();
  });

  /** The card's type select, if it has one. */
  const typeSelectOf = (card: Card) =>
    card.blocks
      .flatMap((block) => (Array.isArray(block.elements) ? (block.elements as SlackJson[]) : []))
      .find((element) => element.action_id === 'ticket_type');

  // Without types the card has no select: test/slack/ticketFlow.test.ts.
  it('the card offers a select of the types; staff change the type there, others are refused', async () => {
    const notDefault = { rt_flags: { rt_flags: { type: 'checkboxes', selected_options: [] } } };
    // Badges the default: the modal starts on it (no fields).
    await defineType(typeForm('Badges'));
    await defineType({ ...typeForm('Furniture'), ...notDefault });
    await settled();
    const hardware = (await suite.db.models.RequestType.findOne({ where: { name: 'Badges' } }))!;
    const access = (await suite.db.models.RequestType.findOne({ where: { name: 'Furniture' } }))!;
    const card = await app.createTicket(REQUESTER, 'Badge does not open', {
      request_type: {
        request_type: { type: 'static_select', selected_option: { value: String(hardware.id) } },
      },
    });
    const ticket = (await ticketOfCard(suite.db, card.ts))!;
    expect(ticket.requestTypeId).toBe(hardware.id);
    const select = typeSelectOf(card)!;
    const names = select.options.map((option: SlackJson) => option.text.text);
    expect(names).toEqual(expect.arrayContaining(['Badges', 'Furniture']));
    expect(names).toEqual([...names].sort());
    expect(select.initial_option).toMatchObject({ value: String(hardware.id) });
    const pick = {
      selected_option: { value: String(access.id), text: { type: 'plain_text', text: 'Furniture' } },
    };

    // The requester is not staff: an ephemeral says so, the ticket keeps its type.
    await app.click(REQUESTER, card, 'ticket_type', pick);
    const refused = await app.slack.waitForCall('chat.postEphemeral', (args) => args.user === REQUESTER);
    expect(refused.args).toMatchObject({
      channel: HELPDESK,
      text: expect.stringContaining('Only technicians'),
    });
    await settled();
    expect(await ticket.reload()).toMatchObject({ requestTypeId: hardware.id, version: 1 });

    // A technician's pick changes it; the card is redrawn with the new type, the history says so.
    await app.click(TECHNICIAN, card, 'ticket_type', pick);
    await app.cardAtVersion(card.ts, ticket.id, 2);
    await settled();
    expect(await ticket.reload()).toMatchObject({ requestTypeId: access.id, requestFields: null });
    const redrawn = app.card(card.channel, card.ts);
    expect(typeSelectOf(redrawn)!.initial_option).toMatchObject({ value: String(access.id) });
    expect(JSON.stringify(redrawn.blocks)).toContain('changed the type from Badges to Furniture');
    const events = await suite.db.models.TicketEvent.findAll({
      where: { ticketId: ticket.id, type: 'type_changed' },
    });
    expect(events.map((event) => [event.actorId, event.fromValue, event.toValue])).toEqual([
      [TECHNICIAN, 'Badges', 'Furniture'],
    ]);

    // A closed ticket's card has no type select (the domain refuses a closed ticket's change).
    await app.click(TECHNICIAN, redrawn, 'ticket_close');
    await app.cardAtVersion(card.ts, ticket.id, 3);
    expect(typeSelectOf(app.card(card.channel, card.ts))).toBeUndefined();
  });
});
