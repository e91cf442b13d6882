import type { App } from '@slack/bolt';
import { z } from 'zod';
import { addComment, asActor, editComment, isDomainError, NotAllowed } from '../../../tickets/index.js';
import { findTicketByCard } from '../../../tickets/queries.js';
import type { SlackContext } from '../../context.js';
import { explanationOf } from '../../explain.js';
import { messages } from '../../messages.js';
import { readableMessage } from '../../newTicketFlow.js';

const message = z.object({
  ts: z.string(),
  thread_ts: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  subtype: z.string().optional(),
  text: z.string().default(''),
});
const eventSchema = message.extend({
  channel: z.string(),
  message: message.optional(),
  previous_message: message.optional(),
  deleted_ts: z.string().optional(),
});

/** Replies that count as comments: people's messages, not bots' (ours is dropped by ignoreSelf). */
const REPLY_SUBTYPES = new Set([undefined, 'thread_broadcast', 'file_share']);
const isReply = (m: z.infer<typeof message>) =>
  Boolean(m.thread_ts && m.thread_ts !== m.ts && m.user && !m.bot_id);

/**
 * A reply in a ticket card's thread is a comment (stored once per message ts, so Slack's
 * retries add nothing); edited and deleted replies follow. Everything else is ignored.
 */
export function register(app: App, ctx: SlackContext): void {
  app.event('message', async ({ event, context }) => {
    const parsed = eventSchema.safeParse(event);
    if (!parsed.success) return;
    const e = parsed.data;
    if (e.subtype === 'message_changed' && e.message && isReply(e.message)) {
      return follow(ctx, e.channel, e.message.thread_ts!, e.message.user!, e.message.ts, e.message.text);
    }
    if (e.subtype === 'message_deleted' && e.previous_message && isReply(e.previous_message)) {
      const previous = e.previous_message;
      return follow(ctx, e.channel, previous.thread_ts!, previous.user!, e.deleted_ts ?? previous.ts, null);
    }
    if (!REPLY_SUBTYPES.has(e.subtype) || !isReply(e)) return;
    const ticket = await findTicketByCard(ctx.services.db, e.channel, e.thread_ts!);
    if (!ticket) return;
    const body = (await readableMessage(ctx, e.text)).trim();
    if (body === '') return;
    try {
      await addComment(asActor(ctx.services, e.user!), { ticketId: ticket.id, body, slackTs: e.ts });
    } catch (error) {
      if (!isDomainError(error)) throw error;
      // A retried delivery (Slack missed our answer in time) was explained the first time.
      if (error instanceof NotAllowed && !context.retryNum) {
        const t = messages(await ctx.directory.language(e.user!));
        await ctx.client.chat.postEphemeral({
          channel: e.channel,
          user: e.user!,
          thread_ts: e.thread_ts,
          text: explanationOf(error, t),
        });
      }
    }
  });
}

async function follow(
  ctx: SlackContext,
  channel: string,
  threadTs: string,
  userId: string,
  ts: string,
  text: string | null,
) {
  const ticket = await findTicketByCard(ctx.services.db, channel, threadTs);
  if (!ticket) return;
  const body = text === null ? null : (await readableMessage(ctx, text)).trim();
  try {
    await editComment(asActor(ctx.services, userId), {
      ticketId: ticket.id,
      slackTs: ts,
      body: body || null,
    });
  } catch (error) {
    // A reply that never became a comment (refused, empty) has nothing to follow.
    if (!isDomainError(error)) throw error;
  }
}
