import type { ReceiverEvent } from '@slack/bolt';
import { z } from 'zod';
import {
  AlreadySubmitted,
  asActor,
  createTicket,
  DESCRIPTION_MAX,
  requestTypeById,
  TITLE_MAX,
  type TicketChange,
  ValidationFailed,
} from '../tickets/index.js';
import { INTAKE_EVENT_TYPE } from './blocks/ids.js';
import type { SlackContext } from './context.js';
import { deliverAfterUnknownCommit, deliverNewTicket } from './newTicketDelivery.js';
import { cardChannelFor, readableMessage } from './newTicketFlow.js';
import { isConversationRefused, slackErrorOf } from './slackErrors.js';
import { insertCard } from './store/cards.js';
import {
  holdIntakeReply,
  insertIntakeMessage,
  intakeOfMessage,
  recordIntakeReply,
  releaseIntakeReply,
} from './store/intake.js';
import { escapeAndTruncate, truncate } from './text.js';

// A reaction opens a ticket: reacting with INTAKE_EMOJI (:ticket: by default) to a person's message
// in a channel ticketbot is in makes a ticket of that message, for its author, with a link back,
// and says so in the message's thread. Slack sends `reaction_added` only for conversations the
// app is in (https://docs.slack.dev/reference/events/reaction_added/, scope reactions:read).
//
// Like every event ticketbot acknowledges, the reaction is recorded in the inbox before Slack has
// its acknowledgement (src/slack/inbox.ts) and applied from there, one at a time per message
// (order key `message:<channel>:<ts>`), so a second reaction, Slack's retry of the event or
// another replica waits for the first and finds its ticket. The ticket's submission key is the
// message's, and slack_intake_messages is written with it: one ticket per message, whatever runs.

export const INTAKE_KIND = 'reaction_intake';

/** reaction_added as Slack sends it (https://docs.slack.dev/reference/events/reaction_added/). */
const reactionSchema = z.object({
  type: z.literal('reaction_added'),
  /** Who reacted. */
  user: z.string(),
  /** The emoji's name, without colons; a skin tone follows as `::skin-tone-2`. */
  reaction: z.string(),
  /** The message's author; absent for messages no person wrote (incoming webhooks). */
  item_user: z.string().optional(),
  item: z.object({
    type: z.string(),
    channel: z.string().optional(),
    ts: z.string().optional(),
  }),
  event_ts: z.string(),
});
type Reaction = z.infer<typeof reactionSchema>;

const callbackSchema = z.object({
  type: z.literal('event_callback'),
  event_id: z.string(),
  event: z.unknown(),
});

const storedSchema = z.object({
  reactedBy: z.string(),
  channel: z.string(),
  ts: z.string(),
});
type StoredReaction = z.infer<typeof storedSchema>;

/**
 * The message as conversations.history / conversations.replies return it
 * (https://docs.slack.dev/reference/methods/conversations.history): only what a ticket needs.
 */
const messageSchema = z.object({
  ts: z.string(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  subtype: z.string().optional(),
  thread_ts: z.string().optional(),
  text: z.string().default(''),
});
type SlackMessage = z.infer<typeof messageSchema>;
const messagesSchema = z.object({ messages: z.array(z.unknown()).default([]) });

/** Subtypes of messages a person wrote (https://docs.slack.dev/reference/events/message/). */
const PERSON_SUBTYPES = new Set([undefined, 'thread_broadcast', 'file_share', 'me_message']);

/** The reaction, if it asks for a ticket: the intake emoji on a message in a channel. */
function intakeReaction(ctx: SlackContext, event: unknown): StoredReaction | undefined {
  const emoji = ctx.config.intakeEmoji;
  if (!emoji) return undefined;
  const parsed = reactionSchema.safeParse(event);
  if (!parsed.success) return undefined;
  const reaction: Reaction = parsed.data;
  if (reaction.reaction.split('::', 1)[0] !== emoji) return undefined;
  const { channel, ts } = reaction.item;
  if (reaction.item.type !== 'message' || !channel || !ts) return undefined;
  // Public and private channels only: a DM or group DM has no channel for a card or its people.
  if (!/^[CG][A-Z0-9]+$/.test(channel)) return undefined;
  // Not written by a person (item_user absent): nothing to open. A bot's message, ticketbot's
  // own included, is recognised once it is read (its bot_id).
  if (!reaction.item_user) return undefined;
  return { reactedBy: reaction.user, channel, ts };
}

/** The inbox entry each recorded reaction got (null: Slack delivered it before). */
const recorded = new WeakMap<object, { id: number; payload: StoredReaction } | null>();

/**
 * Runs before Bolt acknowledges the event: a reaction asking for a ticket is recorded in the
 * inbox first. A failure is thrown, and the event goes unacknowledged for Slack to send again
 * (https://docs.slack.dev/apis/events-api/#retries).
 */
export async function recordReactionEvent(ctx: SlackContext, event: ReceiverEvent): Promise<void> {
  const callback = callbackSchema.safeParse(event.body);
  if (!callback.success) return;
  const reaction = intakeReaction(ctx, callback.data.event);
  if (!reaction) return;
  const id = await ctx.inbox.record(
    INTAKE_KIND,
    `event:${callback.data.event_id}`,
    `message:${reaction.channel}:${reaction.ts}`,
    reaction,
  );
  recorded.set(event.body, id === null ? null : { id, payload: reaction });
}

/** After Bolt's acknowledgement: applies the reaction this event recorded. */
export function applyRecordedReaction(ctx: SlackContext, body: object): void {
  const entry = recorded.get(body);
  if (!entry) return;
  recorded.delete(body);
  void ctx.inbox.apply(entry.id, INTAKE_KIND, entry.payload);
}

/** How the inbox applies a recorded reaction. */
export async function applyReaction(ctx: SlackContext, payload: unknown): Promise<void> {
  const reaction = storedSchema.parse(payload);
  const db = ctx.services.db;
  let intake = await intakeOfMessage(db, reaction.channel, reaction.ts);
  if (intake?.replyTs) return;
  const message = await readMessage(ctx, reaction.channel, reaction.ts);
  if (!message) return;
  if (!intake) {
    if (message.bot_id || !message.user || !PERSON_SUBTYPES.has(message.subtype)) return;
    const ticketId = await openTicket(ctx, reaction, message);
    if (ticketId === undefined) return;
    intake = { ticketId, reactedBy: reaction.reactedBy, replyTs: null };
  }
  await replyInThread(ctx, reaction, message, intake.ticketId, intake.reactedBy);
}

/**
 * The message that was reacted to: the latest one up to its ts in the channel's history, else (a
 * reply in a thread, which the history leaves out) from its thread. Undefined when it is gone or
 * Slack will not let ticketbot read the channel (the reaction then does nothing, and says so in
 * the log); a failure that passes is thrown, for the inbox to try again.
 */
async function readMessage(
  ctx: SlackContext,
  channel: string,
  ts: string,
): Promise<SlackMessage | undefined> {
  const find = (result: unknown) =>
    messagesSchema
      .parse(result)
      .messages.map((raw) => messageSchema.safeParse(raw))
      .find((parsed) => parsed.success && parsed.data.ts === ts)?.data;
  try {
    const history = await ctx.client.conversations.history({
      channel,
      latest: ts,
      inclusive: true,
      limit: 1,
    });
    const found = find(history);
    if (found) return found;
    // conversations.replies takes "either a thread's parent message or a message in the thread"
    // (https://docs.slack.dev/reference/methods/conversations.replies).
    const thread = await ctx.client.conversations.replies({ channel, ts, limit: 200 });
    const reply = find(thread);
    if (!reply) ctx.logger.info({ channel, ts }, 'the message reacted to is gone; no ticket');
    return reply;
  } catch (error) {
    const code = slackErrorOf(error);
    if (
      isConversationRefused(error) ||
      code === 'missing_scope' ||
      code === 'thread_not_found' ||
      code === 'message_not_found'
    ) {
      ctx.logger.warn({ err: error, channel, ts }, 'cannot read the message reacted to; no ticket');
      return undefined;
    }
    throw error;
  }
}

/** Opens the ticket (or finds the one this message already has); undefined when refused. */
async function openTicket(
  ctx: SlackContext,
  reaction: StoredReaction,
  message: SlackMessage,
): Promise<number | undefined> {
  const db = ctx.services.db;
  const type = ctx.roster.requestTypes().find((each) => each.isDefault);
  const cardChannelId = type?.channelId ?? cardChannelFor(ctx, reaction.channel);
  if (!cardChannelId) return undefined;
  const author = message.user!;
  const text = (await readableMessage(ctx, message.text)).trim();
  const firstLine = text.split('\n', 1)[0]?.trim() ?? '';
  const t = ctx.texts.slack(await ctx.directory.language(author));
  let change: TicketChange;
  const leaseUntil = ctx.cardLeases.leaseEnd();
  try {
    change = await createTicket(asActor(ctx.services, reaction.reactedBy), {
      title: truncate(firstLine || t('intakeUntitled'), TITLE_MAX),
      description: truncate(text, DESCRIPTION_MAX),
      priority: 'normal',
      requesterId: author,
      source: {
        channelId: reaction.channel,
        messageTs: reaction.ts,
        permalink: ctx.publisher.linkTo(reaction.channel, reaction.ts) ?? null,
      },
      submissionKey: `reaction:${reaction.channel}:${reaction.ts}`,
      // With request types defined, the default one; a technician can change it from the card.
      requestTypeId: type?.id ?? null,
      fieldsUnasked: true,
      inTransaction: async ({ ticket }, transaction) => {
        await insertCard(db, transaction, {
          ticketId: ticket.id,
          channelId: cardChannelId,
          leaseUntil,
          leaseOwner: ctx.cardLeases.owner,
        });
        await insertIntakeMessage(db, transaction, {
          channelId: reaction.channel,
          messageTs: reaction.ts,
          ticketId: ticket.id,
          reactedBy: reaction.reactedBy,
        });
      },
    });
  } catch (error) {
    if (error instanceof AlreadySubmitted) {
      if (error.afterUnknownCommit)
        void ctx.background.run('deliver new ticket', () => deliverAfterUnknownCommit(ctx, error.ticketId), {
          ticketId: error.ticketId,
        });
      return error.ticketId;
    }
    if (error instanceof ValidationFailed) {
      ctx.logger.warn(
        { err: error, channel: reaction.channel },
        'a reacted message could not become a ticket',
      );
      return undefined;
    }
    throw error;
  }
  // Held from now: the heartbeat keeps the lease while the delivery waits its turn.
  ctx.cardLeases.hold(change.ticket.id, leaseUntil);
  void ctx.background.run('deliver new ticket', () => deliverNewTicket(ctx, change), {
    ticketId: change.ticket.id,
  });
  return change.ticket.id;
}

/** While one attempt sends the thread's reply, the others leave it to it (unless it dies). */
const REPLY_HOLD_MS = 60_000;

/** Another attempt is sending the thread's reply: this one is tried again later, in case it fails. */
class ReplyHeldElsewhere extends Error {
  constructor(channel: string, ts: string) {
    super(`the reply about the message ${channel}/${ts} is being sent by another attempt`);
    this.name = 'ReplyHeldElsewhere';
  }
}

/**
 * Tells the message's thread which ticket it became, once: one attempt at a time holds the
 * sending (slack_intake_messages.replying_until), and the reply carries the ticket's id as message
 * metadata (https://docs.slack.dev/messaging/message-metadata/), so an attempt after one whose
 * answer was lost finds it in the thread instead of posting it twice. The post itself is never
 * retried blindly (Publisher.postOnce).
 */
async function replyInThread(
  ctx: SlackContext,
  reaction: StoredReaction,
  message: SlackMessage,
  ticketId: number,
  reactedBy: string,
): Promise<void> {
  const db = ctx.services.db;
  if (!(await holdIntakeReply(db, reaction.channel, reaction.ts, REPLY_HOLD_MS))) {
    const now = await intakeOfMessage(db, reaction.channel, reaction.ts);
    if (now?.replyTs) return;
    throw new ReplyHeldElsewhere(reaction.channel, reaction.ts);
  }
  try {
    const threadTs = message.thread_ts ?? message.ts;
    const already = await findReply(ctx, reaction.channel, threadTs, ticketId);
    if (already) {
      await recordIntakeReply(db, reaction.channel, reaction.ts, already);
      return;
    }
    const ticket = await db.models.Ticket.findByPk(ticketId, {
      attributes: ['id', 'title', 'requesterId', 'requestTypeId'],
    });
    if (!ticket) return;
    const t = ctx.texts.slack(await ctx.directory.language(ticket.requesterId));
    // A private type's ticket: the public thread gets its number only, never its title.
    const type = ticket.requestTypeId ? await requestTypeById(db, ticket.requestTypeId) : undefined;
    const posted = await ctx.publisher.postOnce({
      channel: reaction.channel,
      threadTs,
      text: type?.isPrivate
        ? t('intakeReplyPrivate', { id: ticket.id, reactor: `<@${reactedBy}>` })
        : t('intakeReply', {
            id: ticket.id,
            title: escapeAndTruncate(ticket.title, 200),
            link: `${ctx.config.publicUrl}/tickets/${ticket.id}`,
            reactor: `<@${reactedBy}>`,
          }),
      metadata: { event_type: INTAKE_EVENT_TYPE, event_payload: { ticket_id: ticket.id } },
    });
    await recordIntakeReply(db, reaction.channel, reaction.ts, posted.ts);
  } catch (error) {
    if (isConversationRefused(error)) {
      ctx.logger.warn(
        { err: error, ticketId, channel: reaction.channel },
        'Slack refused the reply in the thread',
      );
      await recordIntakeReply(db, reaction.channel, reaction.ts, 'refused');
      return;
    }
    await releaseIntakeReply(db, reaction.channel, reaction.ts).catch((released: unknown) =>
      ctx.logger.warn({ err: released, ticketId }, 'could not give the thread reply back'),
    );
    throw error;
  }
}

/** ticketbot's reply about `ticketId` already in the thread, if an earlier attempt posted it. */
async function findReply(
  ctx: SlackContext,
  channel: string,
  threadTs: string,
  ticketId: number,
): Promise<string | undefined> {
  const replyOf = z.object({
    ts: z.string(),
    bot_id: z.string().optional(),
    metadata: z
      .object({ event_type: z.string(), event_payload: z.record(z.string(), z.unknown()).optional() })
      .optional(),
  });
  let cursor: string | undefined;
  for (let page = 0; page < 5; page++) {
    const result = await ctx.client.conversations.replies({
      channel,
      ts: threadTs,
      limit: 200,
      include_all_metadata: true,
      cursor,
    });
    for (const raw of result.messages ?? []) {
      const reply = replyOf.safeParse(raw);
      if (
        reply.success &&
        reply.data.metadata?.event_type === INTAKE_EVENT_TYPE &&
        Number(reply.data.metadata.event_payload?.ticket_id) === ticketId
      )
        return reply.data.ts;
    }
    cursor = result.response_metadata?.next_cursor || undefined;
    if (!cursor) return undefined;
  }
  return undefined;
}
