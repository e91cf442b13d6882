import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { ACTION_AVAILABILITY } from '../../src/slack/blocks/ids.js';
import { asActor, createTicketHooks, saveRequestType, seedRoster } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import type { SlackCall } from '../support/slackApi.js';
import {
  ADMIN,
  OTHER_USER,
  REQUESTER,
  SECOND_TECHNICIAN,
  TECHNICIAN,
  useSlackTestApp,
} from '../support/slackApp.js';

// Auto-assignment in Slack (issue 14 §3): tickets from a reaction and from the message shortcut
// get the default type and are assigned by its rule; the card says ticketbot picked, the
// technician gets one DM with the card's link (as when named in the modal); Away set in the App
// Home is passed over; a technician reassigning from the card still overrides.

const GENERAL = 'C0GENERAL1';
const docsPayload = JSON.parse(
  readFileSync(
    new URL('../fixtures/slack/payloads/event_callback_reaction_added_docs.json', import.meta.url),
    'utf8',
  ),
) as { event: Record<string, unknown> };

function reactionAdded(user: string, channel: string, ts: string, itemUser: string) {
  const { item_user: _author, ...shape } = docsPayload.event;
  return {
    ...shape,
    user,
    reaction: 'ticket',
    item_user: itemUser,
    item: { type: 'message', channel, ts, channel_type: 'channel' },
    event_ts: `${Math.floor(Date.now() / 1000)}.000${Math.floor(Math.random() * 900 + 100)}`,
  };
}

describeEachDatabase('Slack: auto-assignment', (suite) => {
  let typeId = 0;
  beforeAll(async () => {
    // The type exists when ticketbot starts (it reads the types then): the default, round-robin.
    const services = { db: suite.db, hooks: createTicketHooks(), logger: createLogger('silent') };
    await seedRoster(suite.db, { technicianIds: [TECHNICIAN, SECOND_TECHNICIAN], adminIds: [ADMIN] });
    const type = await saveRequestType(asActor(services, ADMIN), {
      name: 'Hardware',
      technicianIds: [TECHNICIAN, SECOND_TECHNICIAN],
      assignment: 'round_robin',
      isDefault: true,
    });
    typeId = type.id;
  });
  const app = useSlackTestApp(suite, { INTAKE_EMOJI: ':ticket:' });
  const settled = () => app.bot.slack!.settled();
  const cardOf = (ticketId: number): SlackCall | undefined =>
    app.slack.callsTo('chat.postMessage').find((call) => {
      const metadata = call.args.metadata as { event_type?: string; event_payload?: { ticket_id?: unknown } };
      return (
        call.response.ok &&
        metadata?.event_type === 'ticket_card' &&
        Number(metadata.event_payload?.ticket_id) === ticketId
      );
    });
  const dmsAbout = (ticketId: number, userId: string) =>
    app.slack
      .callsTo('chat.postMessage')
      .filter(
        (call) =>
          call.response.ok &&
          call.args.channel === `D${userId.slice(1)}` &&
          String(call.args.text).includes(`#${ticketId} `),
      );
  /** The modal's answer for the type (the modal opens on the default type). */
  const ofType = () => ({
    request_type: { request_type: { type: 'static_select', selected_option: { value: String(typeId) } } },
  });
  const events = async (ticketId: number) =>
    (await suite.db.models.TicketEvent.findAll({ where: { ticketId }, order: [['id', 'ASC']] })).map((e) => [
      e.type,
      e.actorId,
      e.toValue,
      e.version,
    ]);

  it('a reaction’s ticket gets the default type and its first technician; the card and one DM say so', async () => {
    const ts = app.slack.postAs(REQUESTER, GENERAL, 'Laptop will not charge');
    expect((await app.event(reactionAdded(OTHER_USER, GENERAL, ts, REQUESTER))).status).toBe(200);
    await settled();
    const ticket = (await suite.db.models.Ticket.findOne({ where: { sourceMessageTs: ts } }))!;
    expect([ticket.technicianId, ticket.version]).toEqual([TECHNICIAN, 2]);
    expect(await events(ticket.id)).toEqual([
      ['created', OTHER_USER, null, 1],
      ['assigned', 'ticketbot:round_robin', TECHNICIAN, 2],
    ]);
    const card = cardOf(ticket.id)!;
    expect(JSON.stringify(card.args.blocks)).toContain('ticketbot (round-robin) assigned it to Tom Tech');
    expect(JSON.stringify(card.args.blocks)).toContain(`"ticket_actions:${ticket.id}:2"`);
    // Told once, with the link to the card (sent once the card was posted).
    const dms = dmsAbout(ticket.id, TECHNICIAN);
    expect(dms).toHaveLength(1);
    expect(String(dms[0]!.args.text)).toMatch(/^You were assigned ticket <https?:\/\/[^|]+\|#\d+ Laptop/);
    expect(dmsAbout(ticket.id, SECOND_TECHNICIAN)).toEqual([]);
  });

  it('a shortcut’s ticket (the modal opened on the default type) goes to the next technician', async () => {
    const trigger = app.newTriggerId();
    await app.messageShortcut(
      REQUESTER,
      { id: GENERAL, name: 'general' },
      { user: OTHER_USER, ts: '1690000000.000700', text: 'Screen flickers' },
      trigger,
    );
    const opened = await app.slack.waitForCall('views.open', (args) => args.trigger_id === trigger);
    expect(
      JSON.parse(String((opened.args.view as { private_metadata: string }).private_metadata)).requestTypeId,
    ).toBe(typeId);
    const answer = await app.submitView(REQUESTER, opened, {
      ...ofType(),
      title: { title: { type: 'plain_text_input', value: 'Screen flickers' } },
      priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
    });
    expect(answer.text).toBe('');
    await settled();
    const ticket = (await suite.db.models.Ticket.findOne({
      where: { sourceMessageTs: '1690000000.000700' },
    }))!;
    expect(ticket.technicianId).toBe(SECOND_TECHNICIAN);
    expect(await events(ticket.id)).toEqual([
      ['created', REQUESTER, null, 1],
      ['assigned', 'ticketbot:round_robin', SECOND_TECHNICIAN, 2],
    ]);
    expect(dmsAbout(ticket.id, SECOND_TECHNICIAN)).toHaveLength(1);
  });

  it('a technician Away in the App Home is passed over until they are Available again', async () => {
    const away = await app.clickInHome(TECHNICIAN, {
      type: 'button',
      action_id: ACTION_AVAILABILITY,
      block_id: 'availability',
      value: 'away',
    });
    expect(away.status).toBe(200);
    await settled();
    await app.slack.waitFor(
      async () => (await suite.db.models.User.findByPk(TECHNICIAN))?.awaySince,
      'Tom set Away',
    );
    // Round-robin stands at Tess: Tom would be next, but is Away.
    for (const title of ['While Tom is away 1', 'While Tom is away 2']) {
      const card = await app.createTicket(REQUESTER, title, ofType());
      expect(JSON.stringify(card.blocks)).toContain('ticketbot (round-robin) assigned it to Tess Tech');
    }
    await app.clickInHome(TECHNICIAN, {
      type: 'button',
      action_id: ACTION_AVAILABILITY,
      block_id: 'availability',
      value: 'available',
    });
    await settled();
    await app.slack.waitFor(
      async () => (await suite.db.models.User.findByPk(TECHNICIAN))?.awaySince === null,
      'Tom Available',
    );
    const card = await app.createTicket(REQUESTER, 'Tom is back', ofType());
    expect(JSON.stringify(card.blocks)).toContain('ticketbot (round-robin) assigned it to Tom Tech');
  });

  it('a technician reassigning from the card overrides the pick; the new technician is told as usual', async () => {
    const card = await app.createTicket(REQUESTER, 'Reassigned by hand', ofType());
    const ticket = (await suite.db.models.Ticket.findOne({ where: { title: 'Reassigned by hand' } }))!;
    expect(ticket.technicianId).toBe(SECOND_TECHNICIAN);
    await settled();
    await app.click(SECOND_TECHNICIAN, card, 'ticket_assign', { selected_user: TECHNICIAN });
    await settled();
    await ticket.reload();
    expect([ticket.technicianId, ticket.version]).toEqual([TECHNICIAN, 3]);
    expect((await events(ticket.id)).slice(1)).toEqual([
      ['assigned', 'ticketbot:round_robin', SECOND_TECHNICIAN, 2],
      ['assigned', SECOND_TECHNICIAN, TECHNICIAN, 3],
    ]);
    await app.cardAtVersion(card.ts, ticket.id, 3);
    await app.slack.waitFor(() => dmsAbout(ticket.id, TECHNICIAN).length === 1, 'Tom’s DM');
    expect(dmsAbout(ticket.id, SECOND_TECHNICIAN)).toHaveLength(1);
  });
});
