import type { TicketChange } from '../tickets/index.js';
import { loadTicketView } from '../tickets/queries.js';
import { commentCopyText } from './blocks/commentCopy.js';
import { person } from './blocks/people.js';
import type { SlackContext } from './context.js';
import { retireRatingPrompt, sendRatingPrompt } from './ratingPrompts.js';
import { cardOf, postedCard } from './store/cards.js';
import { escapeAndTruncate } from './text.js';

/**
 * What Slack shows after any committed ticket change, whatever made it (a button, a thread
 * reply, the status page): the card in place, the App Homes of the people on the ticket, the
 * technician's DM on assignment, the rating prompt on closing (edited when the ticket is
 * reopened unanswered), a comment made outside the thread copied into it. All of it runs after
 * the acknowledgement, in the background.
 */
export function reactToTicketChanges(ctx: SlackContext): (change: TicketChange) => void {
  return (change) => {
    const { ticket, event } = change;
    const fields = { ticketId: ticket.id, event: event.type };
    if (event.type !== 'created') void ctx.publisher.refreshCard(ticket.id);
    for (const userId of new Set([ticket.requesterId, ticket.technicianId, change.before?.technicianId])) {
      if (userId) void ctx.publisher.refreshHome(userId);
    }
    if (event.type === 'assigned' && ticket.technicianId && ticket.technicianId !== event.actorId) {
      const technicianId = ticket.technicianId;
      void ctx.background.run('dm technician', () => dmAssigned(ctx, ticket.id, technicianId), fields);
    }
    if (event.type === 'status_changed' && event.toValue === 'closed') {
      const resolution = ticket.resolution;
      void ctx.background.run('rating prompt', () => sendRatingPrompt(ctx, ticket.id, resolution), fields);
    }
    if (change.before?.status === 'closed' && ticket.status !== 'closed') {
      void ctx.background.run('retire rating prompt', () => retireRatingPrompt(ctx, ticket.id), fields);
    }
    if (event.type === 'commented' && change.comment && !change.comment.slackTs) {
      const comment = change.comment;
      void ctx.background.run(
        'comment to thread',
        () => copyCommentToThread(ctx, ticket.id, comment.authorId, comment.body),
        fields,
      );
    }
  };
}

export async function dmAssigned(ctx: SlackContext, ticketId: number, technicianId: string): Promise<void> {
  const [view, card] = await Promise.all([
    loadTicketView(ctx.services.db, ticketId),
    cardOf(ctx.services.db, ticketId).then(postedCard),
  ]);
  if (!view) return;
  const t = ctx.texts.slack(await ctx.directory.language(technicianId));
  const { ticket } = view;
  const title = escapeAndTruncate(ticket.title, 200);
  const link = card ? await ctx.publisher.permalink(card.channel, card.ts) : undefined;
  const text = link
    ? t('dmAssigned', { id: ticket.id, title, link })
    : t('dmAssignedNoLink', { id: ticket.id, title });
  await ctx.publisher.dm(technicianId, { text });
}

async function copyCommentToThread(
  ctx: SlackContext,
  ticketId: number,
  authorId: string,
  body: string,
): Promise<void> {
  const card = postedCard(await cardOf(ctx.services.db, ticketId));
  if (!card) return;
  const view = await loadTicketView(ctx.services.db, ticketId);
  if (!view) return;
  const author = await ctx.directory.refresh(authorId);
  const t = ctx.texts.slack(view.requester?.locale);
  await ctx.client.chat.postMessage({
    channel: card.channel,
    thread_ts: card.ts,
    text: commentCopyText(
      `*${person(author, authorId)}*`,
      body,
      `${ctx.config.publicUrl}/tickets/${ticketId}`,
      t,
    ),
  });
}
