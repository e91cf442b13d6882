import { ErrorCode } from '@slack/web-api';
import { languageOf } from '../i18n.js';
import type { TicketChange } from '../tickets/index.js';
import {
  abandonCard,
  cardsToCatchUp,
  holdsCardLease,
  loadTicketView,
  releaseCardLease,
  type TicketView,
  takeCardLease,
} from '../tickets/queries.js';
import type { SlackContext } from './context.js';
import { dmAssigned } from './hooks.js';
import { messages } from './messages.js';
import { escapeAndTruncate } from './text.js';

/**
 * How long the process posting a new card holds it. A delivery can take at most about three and
 * a half minutes (each Slack call gives up after 20 s and two retries); it only starts while half
 * the lease is left, so a card is never posted twice. When Slack cannot be reached, the lease is
 * given back at once; when the process dies first, it runs out. Either way a catch-up then takes
 * the job over.
 */
export const CARD_LEASE_MS = 10 * 60 * 1000;
const CARD_LEASE_LEFT_MS = CARD_LEASE_MS / 2;

/**
 * Right after a ticket is created (in the background, once Slack has its acknowledgement): its
 * card goes to the channel stored with the ticket, drawn from the change itself (the rows were
 * written a moment ago); the requester gets a link, an assigned technician a DM.
 */
export async function deliverNewTicket(ctx: SlackContext, change: TicketChange): Promise<void> {
  const { ticket, event } = change;
  if (!ticket.slackChannelId) return;
  // Under a long backlog the lease may be running out: then the catch-up does it.
  if (!(await holdsCardLease(ctx.services.db, ticket.id, CARD_LEASE_LEFT_MS))) return;
  const [requester, technician] = await Promise.all([
    ctx.directory.profile(ticket.requesterId),
    ticket.technicianId ? ctx.directory.profile(ticket.technicianId) : null,
  ]);
  await deliverCard(ctx, { ticket, requester, technician, latest: { event, actor: requester } });
}

/**
 * Posts the cards whose posting was interrupted (a crash, a Slack outage): those whose lease ran
 * out or was given back. Any replica may run it; each card is taken by one. Returns how many were
 * posted. If Slack still cannot be reached, the first failure ends the run: that card is given
 * back and it and the others wait for the next run, a minute later.
 */
export async function catchUpCards(ctx: SlackContext, limit = 20): Promise<number> {
  const db = ctx.services.db;
  let posted = 0;
  for (const ticketId of await cardsToCatchUp(db, limit)) {
    if (!(await takeCardLease(db, ticketId, CARD_LEASE_MS))) continue;
    const view = await loadTicketView(db, ticketId);
    if (!view) continue;
    ctx.logger.info({ ticketId, channel: view.ticket.slackChannelId }, 'posting a card that was not posted');
    if (await deliverCard(ctx, view)) posted += 1;
  }
  return posted;
}

/**
 * Posts the card where the ticket says, then tells the people. If Slack refuses the channel
 * (the bot is not in it, it is archived…), the requester is told and the card is given up; if
 * Slack cannot be reached, the lease is given back for the next catch-up and the error thrown.
 */
async function deliverCard(ctx: SlackContext, view: TicketView): Promise<boolean> {
  const { ticket } = view;
  const requesterId = ticket.requesterId;
  const target = ticket.slackChannelId;
  if (!target) return false;
  const t = messages(languageOf(view.requester?.locale));
  const title = escapeAndTruncate(ticket.title, 200);
  let channelId = target;
  let link: string | undefined;
  try {
    // A user id stands for that person's DM with the bot (no channel was given).
    if (/^[UW]/.test(target)) channelId = await ctx.publisher.dmChannel(target);
    const card = await ctx.publisher.postCard(view, channelId);
    link = await ctx.publisher.permalink(card.channel, card.ts);
  } catch (error) {
    if ((error as { code?: string }).code !== ErrorCode.PlatformError) {
      // Slack could not be reached (after the client's retries): the next catch-up tries again.
      await releaseCardLease(ctx.services.db, ticket.id).catch((released: unknown) =>
        ctx.logger.warn(
          { err: released, ticketId: ticket.id },
          'could not give the card back to the catch-up',
        ),
      );
      throw error;
    }
    ctx.logger.warn({ err: error, ticketId: ticket.id, channel: channelId }, 'Slack refused the ticket card');
    await abandonCard(ctx.services.db, ticket.id);
    await ctx.publisher.dm(requesterId, { text: t.cannotPost(channelId) });
  }
  await ctx.publisher.dm(requesterId, {
    text: link ? t.dmCreated(ticket.id, title, link) : t.dmCreatedNoLink(ticket.id, title),
  });
  if (ticket.technicianId && ticket.technicianId !== requesterId) {
    await dmAssigned(ctx, ticket.id, ticket.technicianId);
  }
  return link !== undefined;
}
