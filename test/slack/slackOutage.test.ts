import { expect, it } from 'vitest';
import { ONCE_EVENT_TYPE } from '../../src/slack/publisher.js';
import { addComment, asActor, assignTicket, changeStatus, reopenTicket } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import { captureLogs } from '../support/logs.js';
import type { SlackCall, StoredMessage } from '../support/slackApi.js';
import { ADMIN, type Card, HELPDESK, REQUESTER, TECHNICIAN, useSlackTestApp } from '../support/slackApp.js';
import { ratingPromptsOf, ticketOfCard } from '../support/slackCards.js';

// Slack answering HTTP 500 for every method, or hanging (calls held without an answer, then
// carried out when Slack is back, long after ticketbot gave up on them), while tickets are
// created, assigned, commented outside their thread, closed and reopened: every change is kept,
// and once Slack answers again every card, DM, rating prompt, retiring edit and comment copy
// arrives, each once (src/slack/outbox.ts, src/slack/newTicketDelivery.ts).

const REQUESTER_DM = `D${REQUESTER.slice(1)}`;
const TECHNICIAN_DM = `D${TECHNICIAN.slice(1)}`;
const REOPENED = 'was reopened';

for (const mode of ['error', 'hang'] as const) {
  describeEachDatabase(`Slack ${mode === 'error' ? 'answering 500s' : 'hanging'} for a while`, (suite) => {
    const logs = captureLogs('warn');
    const app = useSlackTestApp(suite, {}, () => logs.logger, {
      // A hung call is given up after half a second (20 s otherwise).
      start: { slackRequestTimeoutMs: 500 },
    });
    const db = () => suite.db;
    const technician = {
      technician: { technician: { type: 'static_select', selected_option: { value: TECHNICIAN } } },
    };

    /** Opens the new-ticket modal now (while Slack answers), to submit it later. */
    async function openModal(title: string): Promise<SlackCall> {
      const before = app.slack.callsTo('views.open').length;
      expect((await app.command(REQUESTER, title)).status).toBe(200);
      return app.slack.waitFor(
        (calls) => calls.filter((c) => c.method === 'views.open')[before],
        'views.open',
      );
    }

    const ok = (call: SlackCall) => call.response.ok === true;
    const keyOf = (message: StoredMessage) =>
      message.metadata?.event_type === ONCE_EVENT_TYPE
        ? String(message.metadata.event_payload.key)
        : undefined;
    /** Messages in `channel` (or a thread) whose text or blocks mention `needle`. */
    const mentioning = (messages: StoredMessage[], needle: string) =>
      messages.filter((m) => `${m.text}${JSON.stringify(m.blocks ?? [])}`.includes(needle));

    async function owedKeys(ticketId: number, kind: string): Promise<string[]> {
      const [rows] = await db().sequelize.query(
        `SELECT id FROM slack_outbox WHERE ticket_id = ${ticketId} AND kind = '${kind}' ORDER BY id`,
      );
      return (rows as Array<{ id: number }>).map((row) => `outbox:${Number(row.id)}`);
    }

    it('keeps every change and, once Slack answers, sends every card, DM, prompt, edit and copy once', async () => {
      // Before: ticket A assigned at creation and closed (its rating prompt is in the requester's
      // DM), ticket B open with its card. Both DM channels are known.
      const cardA = await app.createTicket(REQUESTER, `A ${mode}`, technician);
      const cardB = await app.createTicket(REQUESTER, `B ${mode}`);
      const a = (await ticketOfCard(db(), cardA.ts))!;
      const b = (await ticketOfCard(db(), cardB.ts))!;
      const services = app.bot.services;
      await changeStatus(asActor(services, TECHNICIAN), { ticketId: a.id, status: 'closed' });
      await app.slack.waitFor(
        () => mentioning(app.slack.messagesIn(REQUESTER_DM), `"rating:${a.id}:1"`).length === 1,
        'the rating prompt of A',
      );
      await app.slack.waitFor(
        async () => (await ratingPromptsOf(db(), a.id)).length === 1,
        'A prompt recorded',
      );
      const [promptA] = mentioning(app.slack.messagesIn(REQUESTER_DM), `"rating:${a.id}:1"`);
      const modal = await openModal(`C ${mode}`);
      await app.bot.slack!.settled();

      // Slack goes down.
      const up = app.slack.down(mode);
      // C is submitted (the modal was opened before), then assigned, commented outside its
      // thread and closed; B is assigned, commented and closed; A is reopened.
      const submitted = await app.submitView(REQUESTER, modal, {
        title: { title: { type: 'plain_text_input', value: `C ${mode}` } },
        priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
      });
      expect(submitted.status).toBe(200);
      expect(submitted.text).toBe('');
      const c = (await db().models.Ticket.findOne({ where: { title: `C ${mode}` } }))!;
      for (const ticket of [b, c]) {
        await assignTicket(asActor(services, ADMIN), { ticketId: ticket.id, technicianId: TECHNICIAN });
        await addComment(asActor(services, TECHNICIAN), {
          ticketId: ticket.id,
          body: `comment on ${ticket.id}`,
        });
        await changeStatus(asActor(services, TECHNICIAN), { ticketId: ticket.id, status: 'closed' });
      }
      await reopenTicket(asActor(services, TECHNICIAN), { ticketId: a.id });
      // Everything ticketbot tries meanwhile fails (or hangs and is given up), and is kept.
      await app.slack.waitFor(
        () => logs.entries.some((line) => line.msg === 'Slack work not done yet; it is tried again'),
        'Slack work failing',
      );
      const catchUp = async () => {
        const slack = app.bot.slack!;
        await slack.catchUpCards().catch(() => undefined);
        await slack.catchUpCardUpdates().catch(() => undefined);
        await slack.catchUpOutbox().catch(() => undefined);
      };
      await catchUp();
      await app.bot.slack!.settled();

      // The changes are all kept.
      expect((await db().models.Ticket.findByPk(a.id))!.status).toBe('open');
      for (const ticket of [b, c]) {
        const stored = (await db().models.Ticket.findByPk(ticket.id))!;
        expect(stored).toMatchObject({ status: 'closed', technicianId: TECHNICIAN });
        const comments = await db().models.Comment.findAll({ where: { ticketId: ticket.id } });
        expect(comments.map((comment) => comment.body)).toEqual([`comment on ${ticket.id}`]);
      }

      // Slack answers again: the catch-ups (every minute, and the outbox's heartbeat) do the rest.
      up();
      const owedNothing = async () => {
        const [rows] = await db().sequelize.query(
          'SELECT COUNT(*) AS n FROM slack_outbox WHERE done_at IS NULL AND failed_reason IS NULL',
        );
        const [cards] = await db().sequelize.query(
          'SELECT COUNT(*) AS n FROM slack_cards WHERE lease_until IS NOT NULL',
        );
        return Number((rows as Array<{ n: number }>)[0]!.n) + Number((cards as Array<{ n: number }>)[0]!.n);
      };
      await app.slack.waitFor(
        async () => {
          await catchUp();
          await app.bot.slack!.settled();
          return (await owedNothing()) === 0;
        },
        'everything owed to Slack caught up',
        60_000,
      );
      // Cards: the card updates wait for nothing but the catch-up.
      await app.slack.waitFor(async () => {
        await catchUp();
        const [rows] = await db().sequelize.query(
          `SELECT COUNT(*) AS n FROM tickets t LEFT JOIN slack_card_versions v ON v.ticket_id = t.id
           WHERE v.shown_version IS NULL OR v.shown_version < t.version`,
        );
        return Number((rows as Array<{ n: number }>)[0]!.n) === 0;
      }, 'every card at its ticket’s version');

      // Each ticket has one card, showing its latest version.
      const channel = app.slack.messagesIn(HELPDESK);
      for (const ticket of [a, b, c]) {
        const cards = channel.filter((m) => Number(m.metadata?.event_payload.ticket_id) === ticket.id);
        expect(cards, `cards of #${ticket.id}`).toHaveLength(1);
        const version = (await db().models.Ticket.findByPk(ticket.id))!.version;
        expect(JSON.stringify(cards[0]!.blocks)).toContain(`"ticket_actions:${ticket.id}:${version}"`);
      }
      const cardC: Card = {
        channel: HELPDESK,
        ts: channel.find((m) => Number(m.metadata?.event_payload.ticket_id) === c.id)!.ts,
        blocks: [],
      };

      // The requester's DM: C's link once; B's and C's rating prompts once each (A's was sent before).
      const requesterDm = app.slack.messagesIn(REQUESTER_DM);
      expect(requesterDm.filter((m) => keyOf(m) === `ticket:${c.id}:requester`)).toHaveLength(1);
      for (const ticket of [b, c]) {
        expect(mentioning(requesterDm, `"rating:${ticket.id}:1"`), `prompts of #${ticket.id}`).toHaveLength(
          1,
        );
      }
      expect(await ratingPromptsOf(db(), b.id)).toHaveLength(1);
      expect(await ratingPromptsOf(db(), c.id)).toHaveLength(1);
      expect(await ratingPromptsOf(db(), a.id)).toEqual([]);

      // A's prompt was edited once, to say the ticket was reopened.
      const editsOfA = app.slack.calls.filter(
        (call) => call.method === 'chat.update' && call.args.ts === promptA!.ts && ok(call),
      );
      expect(editsOfA).toHaveLength(1);
      expect(String(editsOfA[0]!.args.text)).toContain(REOPENED);
      expect(requesterDm.find((m) => m.ts === promptA!.ts)!.text).toContain(REOPENED);

      // The technician's assignment DMs, once each (plus A's, sent at its creation).
      const technicianDm = app.slack.messagesIn(TECHNICIAN_DM);
      for (const ticket of [b, c]) {
        const [key] = await owedKeys(ticket.id, 'dm_assigned');
        expect(
          technicianDm.filter((m) => keyOf(m) === key),
          `assignment DM of #${ticket.id}`,
        ).toHaveLength(1);
        expect(mentioning(technicianDm, `#${ticket.id} `), `DMs naming #${ticket.id}`).toHaveLength(1);
      }

      // Each comment copied into its card's thread, once.
      for (const [ticket, card] of [
        [b, cardB],
        [c, cardC],
      ] as const) {
        const replies = app.slack.repliesIn(HELPDESK, card.ts);
        expect(
          mentioning(replies, `comment on ${ticket.id}`),
          `copies in #${ticket.id}'s thread`,
        ).toHaveLength(1);
      }

      if (mode === 'hang') {
        // Posts that hung were carried out when Slack came back: before posting again, ticketbot
        // looked for them in the DMs' history.
        const reads = app.slack.calls.filter(
          (call) =>
            call.method === 'conversations.history' && String(call.args.channel).startsWith('D') && ok(call),
        );
        expect(reads.length).toBeGreaterThan(0);
      }

      // Every successful post is one of those: nothing else was posted twice.
      const posts = app.slack.calls.filter((call) => call.method === 'chat.postMessage' && ok(call));
      const landed = posts.map((call) => `${String(call.response.channel)}:${String(call.response.ts)}`);
      expect(new Set(landed).size).toBe(landed.length);
      const [failed] = await db().sequelize.query(
        'SELECT COUNT(*) AS n FROM slack_outbox WHERE failed_reason IS NOT NULL',
      );
      expect(Number((failed as Array<{ n: number }>)[0]!.n)).toBe(0);
    }, 120_000);
  });
}
