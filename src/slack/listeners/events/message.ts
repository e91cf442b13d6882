import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { SlackContext } from '../../context.js';
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
  channel: z.string(),
  message: message.optional(),
  previous_message: message.optional(),
  deleted_ts: z.string().optional(),
});
type Message = z.infer<typeof message>;

/** Replies that count as comments: people's messages, not bots' (ours is dropped by ignoreSelf). */
const REPLY_SUBTYPES = new Set([undefined, 'thread_broadcast', 'file_share']);
const isReply = (m: Message): m is Message & { thread_ts: string; user: string } =>
  Boolean(m.thread_ts && m.thread_ts !== m.ts && m.user && !m.bot_id);

/**
 * A reply in a ticket card's thread is a comment (stored once per message ts, so Slack's
 * retries add nothing); edited and deleted replies follow, in order whatever order their events
 * arrive in (https://docs.slack.dev/reference/events/message/message_changed/,
 * https://docs.slack.dev/reference/events/message/message_deleted/). Everything else is ignored.
 */
export function register(app: App, ctx: SlackContext): void {
  app.event('message', async ({ event, context }) => {
    const parsed = eventSchema.safeParse(event);
    if (!parsed.success) return;
    const e = parsed.data;
    const retried = Boolean(context.retryNum);
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
  });
}
