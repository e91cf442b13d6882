import { expect, it } from 'vitest';
import { asActor, assignTicket } from '../../src/tickets/index.js';
import { SessionStore } from '../../src/web/sessions.js';
import { describeEachDatabase } from '../support/db.js';
import { REQUESTER, type SlackJson, TECHNICIAN, useSlackTestApp } from '../support/slackApp.js';
import { ticketOfCard } from '../support/slackCards.js';
import { CLIENT_ID, CLIENT_SECRET } from '../web/support.js';

// A ticket's priority changed elsewhere than on its card (issue 15): from the status page's
// ticket page and from the App Home. Either way the rules' changePriority acts as the person, and
// the Slack card is redrawn by the after-commit hook of the process that made the change (the web
// app is handed the same ticket services Slack registered its hooks on).

describeEachDatabase('Slack: a priority changed from the status page or the App Home', (suite) => {
  const app = useSlackTestApp(suite, {
    SLACK_CLIENT_ID: CLIENT_ID,
    SLACK_CLIENT_SECRET: CLIENT_SECRET,
    PUBLIC_URL: 'http://localhost:3999',
  });

  const prioritySelectOf = (blocks: SlackJson[]) =>
    blocks
      .flatMap((block) => (Array.isArray(block.elements) ? block.elements : []))
      .find((element: SlackJson) => element.action_id === 'ticket_priority');

  it('redraws the card after a technician changes the priority on the ticket page', async () => {
    const card = await app.createTicket(REQUESTER, 'Changed on the page');
    const ticket = (await ticketOfCard(suite.db, card.ts))!;
    const before = { response: ticket.slaResponseDueAt, version: ticket.version };

    // Signed in with Slack, as the sign-in leaves a session.
    const sessions = new SessionStore(suite.db, { idleMs: 3_600_000, maxMs: 86_400_000 });
    const { id } = await sessions.start({ userId: TECHNICIAN, teamId: app.slack.teamId, name: 'Tom Tech' });
    const session = `ticketbot_session=${id}`;
    const pageAnswer = await fetch(`${app.bot.url}/tickets/${ticket.id}`, { headers: { cookie: session } });
    expect(pageAnswer.status).toBe(200);
    const csrf = (pageAnswer.headers.get('set-cookie') ?? '').split(';')[0]!;
    const html = await pageAnswer.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    const version = /name="version" value="(\d+)"/.exec(html)![1]!;

    const posted = await fetch(`${app.bot.url}/tickets/${ticket.id}/priority`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `${session}; ${csrf}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, priority: 'urgent', version }).toString(),
    });
    expect(posted.status).toBe(303);

    const redrawn = await app.cardAtVersion(card.ts, ticket.id, before.version + 1);
    expect(prioritySelectOf(redrawn.args.blocks as SlackJson[])).toMatchObject({
      initial_option: { value: 'urgent' },
    });
    const after = await ticket.reload();
    expect(after.priority).toBe('urgent');
    expect(after.slaResponseDueAt!.getTime()).toBeLessThan(before.response!.getTime());
  });

  it('changes it from the technician’s App Home: acknowledged, card redrawn, home republished', async () => {
    const card = await app.createTicket(REQUESTER, 'Changed from my home');
    const ticket = (await ticketOfCard(suite.db, card.ts))!;
    await assignTicket(asActor(app.bot.services, TECHNICIAN), {
      ticketId: ticket.id,
      technicianId: TECHNICIAN,
    });
    await app.cardAtVersion(card.ts, ticket.id, ticket.version + 1);
    await ticket.reload();

    await app.event({
      type: 'app_home_opened',
      user: TECHNICIAN,
      channel: 'D0HOME',
      tab: 'home',
      event_ts: '1700000000.000002',
    });
    const row = (view: SlackJson) =>
      (view.blocks as SlackJson[]).find((b) =>
        String(b.block_id).startsWith(`ticket_actions:${ticket.id}:${ticket.version}:assigned`),
      );
    const home = await app.slack.waitFor(
      (calls) =>
        calls.find((c) => c.method === 'views.publish' && c.args.user_id === TECHNICIAN && row(c.args.view)),
      'the technician’s home with the ticket',
    );
    const actions = row(home.args.view);
    expect(prioritySelectOf([actions])).toMatchObject({ initial_option: { value: 'normal' } });

    const publishedBefore = app.slack.callsTo('views.publish').length;
    const answer = await app.clickInHome(
      TECHNICIAN,
      {
        type: 'static_select',
        action_id: 'ticket_priority',
        block_id: actions.block_id,
        selected_option: { text: { type: 'plain_text', text: 'High' }, value: 'high' },
      },
      { blocks: (home.args.view as SlackJson).blocks },
    );
    // Acknowledged (recorded in the inbox first, applied from there, like a card's click).
    expect(answer.status).toBe(200);

    const redrawn = await app.cardAtVersion(card.ts, ticket.id, ticket.version + 1);
    expect(prioritySelectOf(redrawn.args.blocks as SlackJson[])).toMatchObject({
      initial_option: { value: 'high' },
    });
    const republished = await app.slack.waitFor(
      (calls) =>
        calls
          .filter((c) => c.method === 'views.publish')
          .slice(publishedBefore)
          .find(
            (c) =>
              c.args.user_id === TECHNICIAN &&
              ((c.args.view as SlackJson).blocks as SlackJson[]).some((b) =>
                String(b.block_id).startsWith(`ticket_actions:${ticket.id}:${ticket.version + 1}:`),
              ),
          ),
      'the home republished',
    );
    const newRow = ((republished.args.view as SlackJson).blocks as SlackJson[]).find((b) =>
      String(b.block_id).startsWith(`ticket_actions:${ticket.id}:`),
    );
    expect(prioritySelectOf([newRow])).toMatchObject({ initial_option: { value: 'high' } });
    expect(await ticket.reload()).toMatchObject({ priority: 'high' });
  });

  it('offers the requester no priority select in their App Home', async () => {
    await app.createTicket(REQUESTER, 'Not mine to rank');
    await app.event({
      type: 'app_home_opened',
      user: REQUESTER,
      channel: 'D0HOME',
      tab: 'home',
      event_ts: '1700000000.000003',
    });
    const home = await app.slack.waitFor(
      (calls) =>
        calls.find(
          (c) =>
            c.method === 'views.publish' &&
            c.args.user_id === REQUESTER &&
            JSON.stringify(c.args.view).includes('Not mine to rank'),
        ),
      'the requester’s home',
    );
    expect(JSON.stringify(home.args.view)).not.toContain('ticket_priority');
  });
});
