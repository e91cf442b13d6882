import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startTicketbot, type Ticketbot } from '../../src/server.js';
import { describeEachDatabase } from '../support/db.js';
import { FakeSlack } from '../support/slackApi.js';
import { BOT_TOKEN, HELPDESK, REQUESTER, SIGNING_SECRET } from '../support/slackApp.js';
import { ticketWithCard } from '../support/slackCards.js';
import { FakeSocketMode } from '../support/slackSocket.js';

// Socket Mode (SLACK_APP_TOKEN set): the same listeners, reached over a WebSocket instead of
// POST /slack/events; acknowledgements travel back as {envelope_id, payload}.

describeEachDatabase('Slack: Socket Mode', (suite) => {
  let slack: FakeSlack;
  let socket: FakeSocketMode;
  let bot: Ticketbot;
  beforeAll(async () => {
    slack = await FakeSlack.start();
    socket = await FakeSocketMode.start();
    slack.socketUrl = socket.url;
    bot = await startTicketbot(
      loadConfig({
        PORT: '0',
        LOG_LEVEL: 'silent',
        DATABASE_URL: suite.url,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_APP_TOKEN: 'xapp-1-test-token',
        SLACK_API_URL: slack.url,
        HELPDESK_CHANNEL_ID: HELPDESK,
      }),
      createLogger('silent'),
    );
  });
  afterAll(async () => {
    await bot?.stop();
    await socket?.stop();
    await slack?.stop();
  });

  it('connects with the app-level token and answers a slash command through the socket', async () => {
    expect(slack.callsTo('apps.connections.open')).toHaveLength(1);
    expect(socket.connections).toBe(1);
    const ack = await socket.deliver('slash_commands', {
      command: '/ticket',
      text: 'help',
      user_id: REQUESTER,
      channel_id: 'C0GENERAL1',
      team_id: slack.teamId,
      trigger_id: 'trigger.socket.1',
      response_url: `${slack.url}../response/socket`,
    });
    expect(ack.payload).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining('/ticket'),
    });
  });

  it('creates a ticket from a modal submitted over the socket and posts its card', async () => {
    const ack = await socket.deliver('interactive', {
      type: 'view_submission',
      team: { id: slack.teamId },
      user: { id: REQUESTER, team_id: slack.teamId },
      view: {
        id: 'V0SOCKET1',
        type: 'modal',
        callback_id: 'new_ticket',
        private_metadata: '{}',
        state: {
          values: {
            title: { title: { type: 'plain_text_input', value: 'Socket ticket' } },
            priority: { priority: { type: 'static_select', selected_option: { value: 'low' } } },
          },
        },
      },
    });
    expect(ack.payload ?? {}).not.toHaveProperty('response_action');
    const card = await slack.waitForCall(
      'chat.postMessage',
      (args) => args.channel === HELPDESK && String(args.text).includes('Socket ticket'),
    );
    expect(card.response.ok).toBe(true);
    // The ticket names its card's channel from the start; the card's ts is recorded once Slack answers.
    const found = await slack.waitFor(async () => {
      const recorded = await ticketWithCard(suite.db, 'Socket ticket');
      return recorded?.card.channelId === HELPDESK && recorded.card.messageTs === String(card.response.ts)
        ? recorded
        : undefined;
    }, 'card recorded');
    expect(found.card.messageTs).toBe(card.response.ts);
  });

  it('does not mount POST /slack/events in Socket Mode', async () => {
    const res = await fetch(`${bot.url}/slack/events`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(404);
  });
});
