import { expect, it } from 'vitest';
import { ACTION_START } from '../../src/slack/blocks/ids.js';
import { describeEachDatabase } from '../support/db.js';
import { REQUESTER, startSlackTestApp, TECHNICIAN, useSlackTestApp } from '../support/slackApp.js';
import { ticketOfCard } from '../support/slackCards.js';

// The inbox: every click and thread event is recorded before Slack has its acknowledgement, and
// applied from the database once, by whichever process holds it (src/slack/inbox.ts).

describeEachDatabase('Slack: acknowledged clicks and events are recorded first (inbox)', (suite) => {
  const app = useSlackTestApp(suite);
  const settled = () => app.bot.slack!.settled();
  const sql = (query: string) => suite.db.sequelize.query(query);

  const reply = (card: { channel: string; ts: string }, user: string, ts: string, text: string) =>
    app.threadReply(card, user, ts, text);

  interface InboxRow {
    kind: string;
    applied: boolean;
    claimedBy: string | null;
  }
  async function inboxRows(): Promise<InboxRow[]> {
    const [rows] = await sql(
      'SELECT kind, applied_at AS appliedAt, claimed_by AS claimedBy FROM slack_inbox ORDER BY id',
    );
    return (rows as Array<{ kind: string; appliedAt: unknown; claimedBy: string | null }>).map((row) => ({
      kind: row.kind,
      applied: row.appliedAt !== null,
      claimedBy: row.claimedBy,
    }));
  }

  /** What a process that died after the ack leaves behind: its claim running out, nothing applied. */
  async function abandonEverything(): Promise<void> {
    await suite.db.sequelize.query('UPDATE slack_inbox SET applied_at = NULL, claim_until = ?', {
      replacements: [new Date(Date.now() - 1000)],
    });
  }

  it('records a card click and a thread reply before acknowledging them, and marks each applied', async () => {
    await sql('DELETE FROM slack_inbox');
    const card = await app.createTicket(REQUESTER, 'Recorded first');
    expect((await app.click(TECHNICIAN, card, ACTION_START)).status).toBe(200);
    expect((await app.event(reply(card, TECHNICIAN, '1700001000.000001', 'on it'))).status).toBe(200);
    await settled();
    const rows = await inboxRows();
    expect(rows.map((row) => [row.kind, row.applied])).toEqual([
      [`card:${ACTION_START}`, true],
      ['thread_message', true],
    ]);
    const ticket = await ticketOfCard(suite.db, card.ts);
    expect(ticket!.status).toBe('in_progress');
  });

  it('a click and a reply acknowledged by a process that died are applied by another, once', async () => {
    const card = await app.createTicket(REQUESTER, 'Taken over');
    const shown = (await ticketOfCard(suite.db, card.ts))!.version;
    // The first process records both and dies before applying them (its claims run out).
    await sql('DELETE FROM slack_inbox');
    await app.click(TECHNICIAN, card, ACTION_START);
    await app.event(reply(card, TECHNICIAN, '1700001100.000001', 'looking now'));
    await settled();
    const ticket = await ticketOfCard(suite.db, card.ts);
    // Undo what the first process did, as if it had never got to it.
    await suite.db.models.Comment.destroy({ where: { ticketId: ticket!.id } });
    await suite.db.models.TicketEvent.destroy({ where: { ticketId: ticket!.id, type: 'status_changed' } });
    await ticket!.update({ status: 'open', version: shown });
    await abandonEverything();
    const other = await startSlackTestApp(suite.url);
    try {
      // Two replicas catch up at the same moment: each request is taken by one of them.
      const taken = await Promise.all([app.bot.slack!.catchUpInbox(), other.bot.slack!.catchUpInbox()]);
      await Promise.all([settled(), other.bot.slack!.settled()]);
      expect(taken[0]! + taken[1]!).toBe(2);
    } finally {
      await other.stop();
    }
    await ticket!.reload();
    expect(ticket!.status).toBe('in_progress');
    const comments = await suite.db.models.Comment.findAll({ where: { ticketId: ticket!.id } });
    expect(comments.map((c) => c.body)).toEqual(['looking now']);
    const started = await suite.db.models.TicketEvent.count({
      where: { ticketId: ticket!.id, type: 'status_changed' },
    });
    expect(started).toBe(1);
    expect((await inboxRows()).every((row) => row.applied)).toBe(true);
  });

  it('a request applied is never taken again, however long ago its claim ran out', async () => {
    const card = await app.createTicket(REQUESTER, 'Applied once');
    await sql('DELETE FROM slack_inbox');
    await app.click(TECHNICIAN, card, ACTION_START);
    await settled();
    const ticket = await ticketOfCard(suite.db, card.ts);
    const version = ticket!.version;
    const ephemerals = app.slack.callsTo('chat.postEphemeral').length;
    await suite.db.sequelize.query('UPDATE slack_inbox SET claim_until = ?', {
      replacements: [new Date(Date.now() - 60_000)],
    });
    expect(await app.bot.slack!.catchUpInbox()).toBe(0);
    await settled();
    await ticket!.reload();
    expect(ticket!.version).toBe(version);
    expect(app.slack.callsTo('chat.postEphemeral').length).toBe(ephemerals);
  });

  it('a thread reply Slack delivers again (the same event_id) is recorded and applied once', async () => {
    const card = await app.createTicket(REQUESTER, 'Delivered twice');
    await sql('DELETE FROM slack_inbox');
    const event = reply(card, TECHNICIAN, '1700001200.000001', 'once only');
    await app.event(event);
    await app.event(event, { retryNum: 1 });
    await settled();
    expect((await inboxRows()).map((row) => row.kind)).toEqual(['thread_message']);
    const ticket = await ticketOfCard(suite.db, card.ts);
    expect(await suite.db.models.Comment.count({ where: { ticketId: ticket!.id } })).toBe(1);
  });

  it('when the database cannot record a thread reply, Slack is not acknowledged and its retry is applied', async () => {
    const card = await app.createTicket(REQUESTER, 'Database away');
    const event = reply(card, TECHNICIAN, '1700001300.000001', 'kept by the retry');
    await sql('ALTER TABLE slack_inbox RENAME TO slack_inbox_away');
    let first: { status: number };
    try {
      first = await app.event(event);
    } finally {
      await sql('ALTER TABLE slack_inbox_away RENAME TO slack_inbox');
    }
    expect(first.status).not.toBe(200);
    const ticket = await ticketOfCard(suite.db, card.ts);
    expect(await suite.db.models.Comment.count({ where: { ticketId: ticket!.id } })).toBe(0);
    // Slack delivers it again (https://docs.slack.dev/apis/events-api/#retries).
    expect((await app.event(event, { retryNum: 1 })).status).toBe(200);
    await settled();
    const comments = await suite.db.models.Comment.findAll({ where: { ticketId: ticket!.id } });
    expect(comments.map((c) => c.body)).toEqual(['kept by the retry']);
  });

  it('when the database cannot record a click, the clicker is told to try again and nothing changes', async () => {
    const card = await app.createTicket(REQUESTER, 'Click not recorded');
    const ephemerals = app.slack.callsTo('chat.postEphemeral').length;
    await sql('ALTER TABLE slack_inbox RENAME TO slack_inbox_away');
    try {
      expect((await app.click(TECHNICIAN, card, ACTION_START)).status).toBe(200);
      await settled();
    } finally {
      await sql('ALTER TABLE slack_inbox_away RENAME TO slack_inbox');
    }
    const told = app.slack.callsTo('chat.postEphemeral').slice(ephemerals);
    expect(told.map((call) => [call.args.user, call.args.text])).toEqual([
      [
        TECHNICIAN,
        expect.stringContaining(
          'could not record your click just now, so nothing changed. Try again in a minute.',
        ),
      ],
    ]);
    const ticket = await ticketOfCard(suite.db, card.ts);
    expect(ticket!.status).toBe('open');
  });
});
