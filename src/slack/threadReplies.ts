import type { SlackTranslate } from '../i18n/index.js';
import {
  addComment,
  asActor,
  COMMENT_MAX,
  characterCount,
  deleteComment,
  editComment,
  isDomainError,
  NotAllowed,
  ValidationFailed,
} from '../tickets/index.js';
import type { SlackContext } from './context.js';
import { explanationOf } from './explain.js';
import { isDatabaseUnavailable } from './inbox.js';
import { readableMessage } from './newTicketFlow.js';
import { findCommentBySlackMessage, ticketIdOfCard } from './store/cards.js';

/** A reply in a ticket card's thread, as a message event names it. */
export interface Reply {
  channel: string;
  threadTs: string;
  userId: string;
  /** The reply's own ts (for a deletion: the deleted message's). */
  ts: string;
  /**
   * Slack is delivering this event again (context.retryNum): it missed our answer in time, and
   * the first delivery has told the author already whatever there was to tell.
   */
  retried: boolean;
}

type Kind = 'reply' | 'edit' | 'change' | 'delete';

/** A new reply becomes a comment, or its author is told in the thread why it did not. */
export async function recordReply(ctx: SlackContext, reply: Reply, text: string): Promise<void> {
  const ticketId = await ticketIdOfCard(ctx.services.db, reply.channel, reply.threadTs);
  if (ticketId === null) return;
  const body = (await readableMessage(ctx, text)).trim();
  try {
    await addComment(asActor(ctx.services, reply.userId), { ticketId, body, slackTs: reply.ts });
  } catch (error) {
    await refused(ctx, reply, ticketId, 'reply', body, error);
  }
}

/**
 * An edited reply: its comment takes the new text (or is created, when the edit came first).
 * `version` says when this text was written: the message's `edited.ts` for an edit, the event's
 * ts for a change that is not one (an unfurl).
 */
export async function recordEdit(
  ctx: SlackContext,
  reply: Reply,
  text: string,
  version: { ts: string; edited: boolean },
): Promise<void> {
  const ticketId = await ticketIdOfCard(ctx.services.db, reply.channel, reply.threadTs);
  if (ticketId === null) return;
  const body = (await readableMessage(ctx, text)).trim();
  try {
    await editComment(asActor(ctx.services, reply.userId), {
      ticketId,
      slackTs: reply.ts,
      body,
      versionTs: version.ts,
      edited: version.edited,
    });
  } catch (error) {
    // Slack also sends message_changed for changes nobody made (a link unfurled, a file
    // processed): refusing one of those is nothing to tell the author about.
    await refused(ctx, reply, ticketId, version.edited ? 'edit' : 'change', body, error);
  }
}

/** A deleted reply: its comment is deleted (or marked so, when the deletion came first). */
export async function recordDeletion(ctx: SlackContext, reply: Reply): Promise<void> {
  const ticketId = await ticketIdOfCard(ctx.services.db, reply.channel, reply.threadTs);
  if (ticketId === null) return;
  try {
    await deleteComment(asActor(ctx.services, reply.userId), { ticketId, slackTs: reply.ts });
  } catch (error) {
    await refused(ctx, reply, ticketId, 'delete', '', error);
  }
}

/**
 * A deletion that does not say which thread the message was in (Slack's docs show
 * message_deleted without `previous_message`): the comment stored for that message, if any.
 */
export async function recordDeletionOf(
  ctx: SlackContext,
  channel: string,
  ts: string,
  retried: boolean,
): Promise<void> {
  const found = await findCommentBySlackMessage(ctx.services.db, channel, ts);
  if (!found) return;
  await recordDeletion(ctx, { channel, threadTs: found.threadTs, userId: found.authorId, ts, retried });
}

/**
 * Tells the author, in the thread and only to them, why their reply (or its edit or deletion)
 * changed nothing on the ticket. Once per message: a retried delivery was explained the first
 * time. Someone who may not comment is told when they reply, not again for each edit.
 */
async function refused(
  ctx: SlackContext,
  reply: Reply,
  ticketId: number,
  kind: Kind,
  body: string,
  error: unknown,
): Promise<void> {
  // The database is away: the inbox tries the reply again later instead of telling its author.
  if (isDatabaseUnavailable(error)) throw error;
  if (!isDomainError(error)) {
    ctx.logger.error(
      { err: error, ticketId, slackUser: reply.userId, slackTs: reply.ts, kind },
      'thread reply not recorded',
    );
  }
  if (reply.retried || kind === 'change') return;
  if (error instanceof NotAllowed && kind !== 'reply') return;
  const t = ctx.texts.slack(await ctx.directory.language(reply.userId));
  const text = explanation(t, kind, ticketId, body, error);
  await ctx.client.chat.postEphemeral({
    channel: reply.channel,
    user: reply.userId,
    thread_ts: reply.threadTs,
    text,
  });
}

function explanation(t: SlackTranslate, kind: Kind, ticketId: number, body: string, error: unknown): string {
  const values = { id: ticketId, max: COMMENT_MAX };
  if (error instanceof ValidationFailed) {
    const tooLong = characterCount(body) > COMMENT_MAX;
    if (kind === 'edit') return tooLong ? t('editTooLong', values) : t('editEmpty', values);
    return tooLong ? t('replyTooLong', values) : t('replyEmpty', values);
  }
  if (isDomainError(error)) return explanationOf(error, t);
  if (kind === 'edit') return t('editFailed', values);
  if (kind === 'delete') return t('deleteFailed', values);
  return t('replyFailed', values);
}
