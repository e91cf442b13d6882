import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ACTION_ASSIGN,
  ACTION_CLOSE,
  ACTION_REOPEN,
  ACTION_START,
  parseTicketActionsBlockId,
} from '../../src/slack/blocks/ids.js';
import { describeEachDatabase } from '../support/db.js';
import type { SlackCall } from '../support/slackApi.js';
import {
  type Card,
  REQUESTER,
  SECOND_TECHNICIAN,
  type SlackTestApp,
  startSlackTestApp,
  TECHNICIAN,
} from '../support/slackApp.js';
import { ticketOfCard } from '../support/slackCards.js';

// Several replicas of ticketbot on one database and one Slack show one picture: an App Home
// open through one is redrawn on a change through another, a card never goes back to an older
// version whichever replica renders it, and after mixed traffic through three replicas every
// card shows its ticket as it is and every email is queued once.

/** The ticket version a card's blocks show (its buttons' block ids carry it). */
function versionShown(blocks: unknown): number | undefined {
  for (const block of (blocks as Array<{ block_id?: string }> | undefined) ?? []) {
    const parsed = parseTicketActionsBlockId(block.block_id);
    if (parsed) return parsed.version;
  }
  return undefined;
}

const MANAGERS = { MANAGER_EMAILS: 'boss@example.com' };

describeEachDatabase('Slack: several replicas, one picture', (suite) => {
  let replicas: SlackTestApp[] = [];
  const a = () => replicas[0]!;
  const b = () => replicas[1]!;
  beforeAll(async () => {
    const first = await startSlackTestApp(suite.url, MANAGERS);
    replicas = [first];
    for (let i = 0; i < 2; i++)
      replicas.push(await startSlackTestApp(suite.url, MANAGERS, undefined, { slack: first.slack }));
  });
  afterAll(async () => {
    for (const replica of replicas.slice(1)) await replica.stop();
    await replicas[0]?.stop();
  });
  const settled = () => Promise.all(replicas.map((replica) => replica.bot.slack!.settled()));
  const slack = () => a().slack;
  /** Every version Slack was sent for the card at `ts`, in the order Slack received them. */
  const versionsSent = (card: Card) =>
    slack()
      .calls.filter(
        (call: SlackCall) =>
          (call.method === 'chat.update' && call.args.ts === card.ts && call.response.ok) ||
          (call.method === 'chat.postMessage' && call.response.ts === card.ts),
      )
      .map((call) => versionShown(call.args.blocks));

  it('an App Home opened through replica A is redrawn when a change comes through replica B', async () => {
    const card = await a().createTicket(REQUESTER, 'Seen from another replica');
    await a().event({
      type: 'app_home_opened',
      user: REQUESTER,
      channel: 'D0HOME',
      tab: 'home',
      event_ts: '1700002000.000001',
    });
    await settled();
    const before = slack()
      .callsTo('views.publish')
      .filter((call) => call.args.user_id === REQUESTER).length;
    await b().click(TECHNICIAN, card, ACTION_START);
    await settled();
    const homes = slack()
      .callsTo('views.publish')
      .filter((call) => call.args.user_id === REQUESTER);
    expect(homes.length).toBeGreaterThan(before);
    expect(JSON.stringify(homes.at(-1)!.args.view)).toContain('In progress');
  });

  it('a card never goes back in time: a slow update of an older version is followed by the newer one, never the reverse', async () => {
    const card = await a().createTicket(REQUESTER, 'Slow update');
    // Replica A's update of the card is slow to reach Slack.
    const slow = slack().hold('chat.update', (args) => args.ts === card.ts);
    await a().click(TECHNICIAN, card, ACTION_START);
    await slow.arrived;
    // Meanwhile a newer change comes through replica B, whose update must not overtake A's.
    const latest = (await ticketOfCard(suite.db, card.ts))!;
    await b().click(TECHNICIAN, { ...card, blocks: card.blocks }, ACTION_ASSIGN, {
      selected_user: SECOND_TECHNICIAN,
      block_id: `ticket_actions:${latest.id}:${latest.version}`,
    });
    await b().bot.slack!.settled();
    slow.release();
    await settled();
    const ticket = (await ticketOfCard(suite.db, card.ts))!;
    expect(ticket.technicianId).toBe(SECOND_TECHNICIAN);
    const sent = versionsSent(card);
    expect(sent.at(-1)).toBe(ticket.version);
    expect([...sent].sort((x, y) => x! - y!)).toEqual(sent);
  });

  it('an update Slack failed is sent by the catch-up, from any replica', async () => {
    const card = await a().createTicket(REQUESTER, 'Update failed');
    slack().failNext('chat.update', 'internal_error', 1, (args) => args.ts === card.ts);
    await a().click(TECHNICIAN, card, ACTION_START);
    await settled();
    const ticket = (await ticketOfCard(suite.db, card.ts))!;
    expect(versionsSent(card).at(-1)).not.toBe(ticket.version);
    expect(await b().bot.slack!.catchUpCardUpdates()).toBeGreaterThanOrEqual(1);
    await settled();
    expect(versionsSent(card).at(-1)).toBe(ticket.version);
  });

  // Replicas share a MySQL/MariaDB server; SQLite has one writer and is for one process (README).
  it.skipIf(suite.kind === 'sqlite')(
    'three replicas under mixed traffic: every card shows its ticket as it is, every email queued once',
    async () => {
      const cards: Card[] = [];
      for (let i = 0; i < 6; i++) cards.push(await replicas[i % 3]!.createTicket(REQUESTER, `Mixed ${i}`));
      const steps = [ACTION_START, ACTION_CLOSE, ACTION_REOPEN, ACTION_CLOSE];
      for (const [round, action] of steps.entries()) {
        await Promise.all(
          cards.map(async (card, i) => {
            const ticket = (await ticketOfCard(suite.db, card.ts))!;
            const actor = action === ACTION_START ? TECHNICIAN : REQUESTER;
            const replica = replicas[(i + round) % 3]!;
            // The card as the person sees it: the ticket's current version, with this button.
            const blockId = `ticket_actions:${ticket.id}:${ticket.version}`;
            const shown = {
              ...card,
              blocks: [
                { type: 'actions', block_id: blockId, elements: [{ type: 'button', action_id: action }] },
              ],
            };
            await replica.click(actor, shown, action);
            // A thread reply through yet another replica, at the same time.
            const ts = `${1700003000 + round}.${String(i).padStart(6, '0')}`;
            await replicas[(i + round + 1) % 3]!.event({
              type: 'message',
              channel: card.channel,
              channel_type: 'channel',
              user: TECHNICIAN,
              text: `round ${round}`,
              ts,
              thread_ts: card.ts,
              parent_user_id: slack().botUserId,
              event_ts: ts,
            });
          }),
        );
        await settled();
      }
      await Promise.all(replicas.map((replica) => replica.bot.slack!.catchUpCardUpdates()));
      await settled();
      for (const card of cards) {
        const ticket = (await ticketOfCard(suite.db, card.ts))!;
        expect(ticket.status).toBe('closed');
        const sent = versionsSent(card);
        expect(sent.at(-1)).toBe(ticket.version);
        expect([...sent].sort((x, y) => x! - y!)).toEqual(sent);
        const comments = await suite.db.models.Comment.count({ where: { ticketId: ticket.id } });
        expect(comments).toBe(steps.length);
      }
      // Every email once: no two outbox rows for one event and recipient.
      const [rows] = await suite.db.sequelize.query(
        `SELECT ticket_id, template, recipient_user_id, recipient, data, COUNT(*) AS n FROM email_outbox
       GROUP BY ticket_id, template, recipient_user_id, recipient, data HAVING COUNT(*) > 1`,
      );
      expect(rows).toEqual([]);
    },
  );
});
