import type { App, ReceiverEvent } from '@slack/bolt';
import { z } from 'zod';
import type { SlackContext } from '../../context.js';
import { findCommentBySlackMessage, ticketIdOfCard } from '../../store/cards.js';
import { recordDeletion, recordDeletionOf, recordEdit, recordReply } from '../../threadReplies.js';

const message = z.object({
  ts: z.string(),
  thread_ts: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  subtype: z.string().optional(),
  text: z.string().default(''),
  /** Set once a message has been edited: who, and when (the version's own time). */
  edited: z.object({ ts: z.string() }).optional(),
});
const eventSchema = message.extend({
  type: z.literal('message'),
  channel: z.string(),
  message: message.optional(),
  previous_message: message.optional(),
  deleted_ts: z.string().optional(),
});
type MessageEvent = z.infer<typeof eventSchema>;
type Message = z.infer<typeof message>;

/** An event_callback as Slack sends it (https://docs.slack.dev/apis/events-api/#callback-field). */
const callbackSchema = z.object({
  type: z.literal('event_callback'),
  event_id: z.string(),
  event: z.unknown(),
});

/** What the inbox keeps of a thread message event: the event, and whether Slack was retrying it. */
const storedSchema = z.object({ event: eventSchema, retried: z.boolean() });

const INBOX_KIND = 'thread_message';

/** Replies that count as comments: people's messages, not bots' (ours is dropped by ignoreSelf). */
const REPLY_SUBTYPES = new Set([undefined, 'thread_broadcast', 'file_share']);
const isReply = (m: Message): m is Message & { thread_ts: string; user: string } =>
  Boolean(m.thread_ts && m.thread_ts !== m.ts && m.user && !m.bot_id);

/** Could this event change a comment? Only those are recorded and applied. */
function concernsAReply(e: MessageEvent): boolean {
  if (e.subtype === 'message_changed') return Boolean(e.message && isReply(e.message));
  if (e.subtype === 'message_deleted')
    return Boolean(e.previous_message ? isReply(e.previous_message) : e.deleted_ts);
  return REPLY_SUBTYPES.has(e.subtype) && isReply(e);
}

/** The ticket whose card thread the event is in (a deletion without its message: the comment's). */
async function ticketOfThreadEvent(ctx: SlackContext, e: MessageEvent): Promise<number | null> {
  const db = ctx.services.db;
  const m =
    e.subtype === 'message_changed' ? e.message : e.subtype === 'message_deleted' ? e.previous_message : e;
  if (m?.thread_ts) return ticketIdOfCard(db, e.channel, m.thread_ts);
  if (e.subtype === 'message_deleted' && e.deleted_ts)
    return (await findCommentBySlackMessage(db, e.channel, e.deleted_ts))?.ticketId ?? null;
  return null;
}

/** The inbox entry each recorded event body got (null: Slack delivered it before). */
const recorded = new WeakMap<object, { id: number; payload: z.infer<typeof storedSchema> } | null>();

/**
 * Runs before Bolt sees a request (which acknowledges an event before any listener runs): a
 * thread message that may be a comment, its edit or its deletion is recorded in the inbox first.
 * A failure is thrown, and the event goes unacknowledged for Slack to deliver again.
 */
export async function recordThreadEvent(ctx: SlackContext, event: ReceiverEvent): Promise<void> {
  const callback = callbackSchema.safeParse(event.body);
  if (!callback.success) return;
  const parsed = eventSchema.safeParse(callback.data.event);
  if (!parsed.success || !concernsAReply(parsed.data)) return;
  const ticketId = await ticketOfThreadEvent(ctx, parsed.data);
  // Not in a ticket card's thread: nothing to record, nothing to apply.
  if (ticketId === null) return;
  const payload = { event: parsed.data, retried: Boolean(event.retryNum) };
  const id = await ctx.inbox.record(INBOX_KIND, `event:${callback.data.event_id}`, ticketId, payload);
  recorded.set(event.body, id === null ? null : { id, payload });
}

/**
 * A reply in a ticket card's thread is a comment (stored once per message ts, so Slack's
 * retries add nothing); edited and deleted replies follow, in order whatever order their events
 * arrive in (https://docs.slack.dev/reference/events/message/message_changed/,
 * https://docs.slack.dev/reference/events/message/message_deleted/). Everything else is ignored.
 * Each is applied from the inbox it was recorded in before Slack had its acknowledgement.
 */
export function register(app: App, ctx: SlackContext): void {
  ctx.inbox.on(INBOX_KIND, async (payload) => {
    const stored = storedSchema.parse(payload);
    await applyMessageEvent(ctx, stored.event, stored.retried);
  });
  app.event('message', async ({ body }) => {
    const entry = recorded.get(body);
    if (!entry) return;
    recorded.delete(body);
    void ctx.inbox.apply(entry.id, INBOX_KIND, entry.payload);
  });
}

async function applyMessageEvent(ctx: SlackContext, e: MessageEvent, retried: boolean): Promise<void> {
  const about = (m: Message & { thread_ts: string; user: string }, ts = m.ts) => ({
    channel: e.channel,
    threadTs: m.thread_ts,
    userId: m.user,
    ts,
    retried,
  });
  if (e.subtype === 'message_changed') {
    if (e.message && isReply(e.message)) {
      const { edited } = e.message;
      const version = { ts: edited?.ts ?? e.ts, edited: edited !== undefined };
      await recordEdit(ctx, about(e.message), e.message.text, version);
    }
    return;
  }
  if (e.subtype === 'message_deleted') {
    const previous = e.previous_message;
    if (previous && isReply(previous))
      await recordDeletion(ctx, about(previous, e.deleted_ts ?? previous.ts));
    else if (!previous && e.deleted_ts) await recordDeletionOf(ctx, e.channel, e.deleted_ts, retried);
    return;
  }
  if (REPLY_SUBTYPES.has(e.subtype) && isReply(e)) await recordReply(ctx, about(e), e.text);
}
