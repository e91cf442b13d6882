import { languageOf } from '../i18n.js';
import type { TicketChange } from '../tickets/index.js';
import type { TicketView } from '../tickets/queries.js';
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
  args: { change: TicketChange; channelId: string | undefined },
): Promise<void> {
  const { ticket, event } = args.change;
  const requesterId = ticket.requesterId;
  // The card is drawn from the change itself: the rows were written a moment ago.
  const [requester, technician] = await Promise.all([
    ctx.directory.profile(requesterId),
    ticket.technicianId ? ctx.directory.profile(ticket.technicianId) : null,
  ]);
  const view: TicketView = { ticket, requester, technician, latest: { event, actor: requester } };
  const t = messages(languageOf(requester?.locale));
  const title = escapeAndTruncate(ticket.title, 200);
  const channelId = args.channelId ?? (await ctx.publisher.dmChannel(requesterId));
  let link: string | undefined;
  try {
    const card = await ctx.publisher.postCard(view, channelId);
    link = await ctx.publisher.permalink(card.channel, card.ts);
  } catch (error) {
    ctx.logger.warn(
      { err: error, ticketId: ticket.id, channel: channelId },
      'could not post the ticket card',
    );
    await ctx.publisher.dm(requesterId, { text: t.cannotPost(channelId) });
  }
  await ctx.publisher.dm(requesterId, {
    text: link ? t.dmCreated(ticket.id, title, link) : t.dmCreatedNoLink(ticket.id, title),
  });
  if (ticket.technicianId && ticket.technicianId !== requesterId) {
    await dmAssigned(ctx, ticket.id, ticket.technicianId);
  }
}
