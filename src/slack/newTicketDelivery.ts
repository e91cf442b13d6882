import { languageOf } from '../i18n.js';
import { loadTicketView } from '../tickets/queries.js';
import type { SlackContext } from './context.js';
import { dmAssigned } from './hooks.js';
import { messages } from './messages.js';
import { escapeAndTruncate } from './text.js';

/**
 * After a ticket is created: its card goes to the helpdesk channel (or where the command was
 * used, or the requester's DM), the requester gets a link, an assigned technician a DM. If the
 * bot may not post in the channel, the requester is told so; the ticket is saved either way.
 */
export async function deliverNewTicket(
  ctx: SlackContext,
  args: { ticketId: number; requesterId: string; channelId: string | undefined },
): Promise<void> {
  const { ticketId, requesterId } = args;
  const view = await loadTicketView(ctx.services.db, ticketId);
  if (!view) return;
  const t = messages(languageOf(view.requester?.locale));
  const title = escapeAndTruncate(view.ticket.title, 200);
  const channelId = args.channelId ?? (await ctx.publisher.dmChannel(requesterId));
  let link: string | undefined;
  try {
    const card = await ctx.publisher.postCard(view, channelId);
    link = await ctx.publisher.permalink(card.channel, card.ts);
  } catch (error) {
    ctx.logger.warn({ err: error, ticketId, channel: channelId }, 'could not post the ticket card');
    await ctx.publisher.dm(requesterId, { text: t.cannotPost(channelId) });
  }
  await ctx.publisher.dm(requesterId, {
    text: link ? t.dmCreated(ticketId, title, link) : t.dmCreatedNoLink(ticketId, title),
  });
  if (view.ticket.technicianId && view.ticket.technicianId !== requesterId) {
    await dmAssigned(ctx, ticketId, view.ticket.technicianId);
  }
}
