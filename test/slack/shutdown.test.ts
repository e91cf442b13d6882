import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/db.js';
import { REQUESTER, TECHNICIAN, useSlackTestApp } from '../support/slackApp.js';

// Stopping (SIGTERM) while Slack work that was already acknowledged is still running.

describeEachDatabase('Slack: shutdown', (suite) => {
  const app = useSlackTestApp(suite);

  it('waits for a thread reply Slack already has its acknowledgement for', async () => {
    const card = await app.createTicket(REQUESTER, 'Printer jams');
    // The reply mentions someone ticketbot has not met: turning the mention into a name waits on users.info.
    const lookup = app.slack.hold('users.info', (args) => args.user === 'U0MENTION1');
    const ts = '1700000300.000300';
    const acked = await app.event({
      type: 'message',
      channel: card.channel,
      channel_type: 'channel',
      user: TECHNICIAN,
      text: 'Ask <@U0MENTION1> for a new drum',
      ts,
      thread_ts: card.ts,
      event_ts: ts,
    });
    expect(acked.status).toBe(200);
    await lookup.arrived;

    const stopped = app.bot.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    lookup.release();
    await stopped;

    const comment = await suite.db.models.Comment.findOne({ where: { slackTs: ts } });
    expect(comment?.body).toContain('new drum');
    const emails = await suite.db.models.EmailOutbox.findAll({
      where: { ticketId: comment!.ticketId, template: 'ticket_commented' },
    });
    expect(emails).toHaveLength(1);
  });
});
