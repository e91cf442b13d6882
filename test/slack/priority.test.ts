import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/db.js';
import { HELPDESK, REQUESTER, type SlackJson, TECHNICIAN, useSlackTestApp } from '../support/slackApp.js';

// The card's priority select, end to end over HTTP: a signed block_actions click, the domain's
// changePriority as the clicking user, the card redrawn by the after-commit hook.

describeEachDatabase('Slack: changing a ticket priority from its card', (suite) => {
  const app = useSlackTestApp(suite);

  const prioritySelectOf = (blocks: SlackJson[]) =>
    blocks
      .flatMap((block) => (Array.isArray(block.elements) ? block.elements : []))
      .find((element: SlackJson) => element.action_id === 'ticket_priority');

  it('shows a priority select on the card with the current priority picked', async () => {
    const card = await app.createTicket(REQUESTER, 'Printer jammed');
    const select = prioritySelectOf(card.blocks);
    expect(select).toMatchObject({ type: 'static_select', initial_option: { value: 'normal' } });
    expect(select.options.map((option: SlackJson) => option.value)).toEqual([
      'urgent',
      'high',
      'normal',
      'low',
    ]);
  });

  it('lets a technician change the priority: stored, due times derived again, card redrawn', async () => {
    const card = await app.createTicket(REQUESTER, 'Server room hot');
    const ticket = (await suite.db.models.Ticket.findOne({ where: { title: 'Server room hot' } }))!;
    const before = { response: ticket.slaResponseDueAt, resolution: ticket.slaResolutionDueAt };

    await app.click(TECHNICIAN, card, 'ticket_priority', {
      selected_option: { text: { type: 'plain_text', text: 'Urgent' }, value: 'urgent' },
    });
    const redrawn = await app.cardAtVersion(card.ts, ticket.id, ticket.version + 1);

    const after = await ticket.reload();
    expect(after.priority).toBe('urgent');
    // Urgent targets are shorter than normal ones: both due times move earlier.
    expect(before.response).toBeInstanceOf(Date);
    expect(before.resolution).toBeInstanceOf(Date);
    expect(after.slaResponseDueAt!.getTime()).toBeLessThan(before.response!.getTime());
    expect(after.slaResolutionDueAt!.getTime()).toBeLessThan(before.resolution!.getTime());
    const blocks = redrawn.args.blocks as SlackJson[];
    expect(prioritySelectOf(blocks)).toMatchObject({ initial_option: { value: 'urgent' } });
    expect(JSON.stringify(blocks)).toContain('Urgent');
  });

  it('refuses a requester with an ephemeral explanation and leaves the priority as it was', async () => {
    const card = await app.createTicket(REQUESTER, 'Keyboard sticky');
    const ticket = (await suite.db.models.Ticket.findOne({ where: { title: 'Keyboard sticky' } }))!;
    await app.click(REQUESTER, card, 'ticket_priority', {
      selected_option: { text: { type: 'plain_text', text: 'Urgent' }, value: 'urgent' },
    });
    const ephemeral = await app.slack.waitForCall('chat.postEphemeral', (args) => args.user === REQUESTER);
    expect(ephemeral.args).toMatchObject({
      channel: HELPDESK,
      text: expect.stringContaining('Only technicians'),
    });
    const after = await ticket.reload();
    expect(after).toMatchObject({ priority: 'normal', version: ticket.version });
  });
});
