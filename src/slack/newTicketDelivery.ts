import type { TicketChange } from '../tickets/index.js';
import { loadTicketView, type TicketView } from '../tickets/queries.js';
import { recordSourcePermalink } from '../tickets/statements.js';
import type { SlackContext } from './context.js';
import { dmAssigned } from './hooks.js';
import type { Once } from './publisher.js';
import { isDmRefused } from './slackErrors.js';
import {
  type CardRecord,
  cardOf,
  cardsToCatchUp,
  finishCardDelivery,
  holdsCardLease,
  type MessageLocation,
  postedCard,
  recordRequesterTold,
  recordTechnicianTold,
  releaseCardLease,
  renewCardLease,
  takeCardLease,
} from './store/cards.js';
import { escapeAndTruncate } from './text.js';

/**
 * How long the process delivering a new ticket (its card, then the requester's and the
 * technician's DMs) holds the job. Delivery starts only while half the lease is left, and the card
 * is posted only while two minutes of it are left; while the post waits for Slack's rate limit
 * (src/slack/pacing.ts) the lease is renewed, and the request itself is given up after 20 s, so no
 * card is posted by two processes at once. When Slack cannot be reached, the lease is given back
 * at once; when the process dies first, it runs out. Either way a catch-up then takes over.
 */
export const CARD_LEASE_MS = 10 * 60 * 1000;
const CARD_LEASE_LEFT_MS = CARD_LEASE_MS / 2;
const POST_LEASE_LEFT_MS = 2 * 60 * 1000;
/**
 * While a post (or the history read before it) waits for Slack's rate limit in the pacer
 * (src/slack/pacing.ts), the lease is renewed this often, to POST_LEASE_LEFT_MS from then: a slow
 * post never outlives its lease, so no catch-up posts the card a second time meanwhile.
 */
const LEASE_RENEW_MS = 30 * 1000;

/**
 * Right after a ticket is created (in the background, once Slack has its acknowledgement): its
 * card goes to the channel stored with it, drawn from the change itself (the rows were written a
 * moment ago); the requester gets a link, an assigned technician a DM.
 */
export async function deliverNewTicket(ctx: SlackContext, change: TicketChange): Promise<void> {
  const { ticket, event } = change;
  const card = await cardOf(ctx.services.db, ticket.id);
  // Under a long backlog the lease may be running out: then the catch-up does it.
  if (!card?.leaseUntil || card.leaseUntil.getTime() < Date.now() + CARD_LEASE_LEFT_MS) return;
  const [requester, technician] = await Promise.all([
    ctx.directory.profile(ticket.requesterId),
    ticket.technicianId ? ctx.directory.profile(ticket.technicianId) : null,
  ]);
  const view = { ticket, requester, technician, latest: { event, actor: requester } };
  await deliverCard(ctx, view, card, false);
}

/**
 * Goes on with the deliveries that were interrupted (a crash, a Slack outage, a DM that failed):
 * those whose lease ran out or was given back. Any replica may run it; each ticket is taken by
 * one. Returns how many cards were posted (or found posted). If Slack still cannot be reached,
 * the first failure ends the run: that ticket is given back and it and the others wait for the
 * next run, a minute later.
 */
export async function catchUpCards(ctx: SlackContext, limit = 20): Promise<number> {
  const db = ctx.services.db;
  let posted = 0;
  for (const ticketId of await cardsToCatchUp(db, limit)) {
    if (!(await takeCardLease(db, ticketId, CARD_LEASE_MS))) continue;
    const [view, card] = await Promise.all([loadTicketView(db, ticketId), cardOf(db, ticketId)]);
    if (!view || !card) continue;
    ctx.logger.info({ ticketId, channel: card.channelId }, 'delivering a new ticket left unfinished');
    if (await deliverCard(ctx, view, card, true)) posted += 1;
  }
  return posted;
}

/**
 * A ticket this submission stored though its COMMIT's answer was lost (found by its submission
 * key): nobody else is delivering its card, so its lease is given back and the catch-up posts
 * it now rather than when the lease runs out.
 */
export async function deliverAfterUnknownCommit(ctx: SlackContext, ticketId: number): Promise<void> {
  await releaseCardLease(ctx.services.db, ticketId);
  await catchUpCards(ctx);
}

/** The lease ran short before the card could be posted: the catch-up takes over once it is out. */
class LeaseRunningOut extends Error {}

/**
 * Posts the card where its record says (unless it is posted already), then sends what is still
 * owed of the DMs. If Slack refuses the channel (the bot is not in it, it is archived…), the
 * requester is told so and the ticket stays without a card. Any other failure gives the lease
 * back for the next catch-up and is thrown. `retrying`: an earlier attempt may have posted the
 * card (its answer lost, its address not recorded), so the channel's history is read first.
 */
async function deliverCard(
  ctx: SlackContext,
  view: TicketView,
  card: CardRecord,
  retrying: boolean,
): Promise<boolean> {
  const { ticket } = view;
  const db = ctx.services.db;
  try {
    let posted = false;
    // A channel Slack refused, or null when there is no channel to post to.
    let refused: string | null | undefined;
    if (!card.messageTs) {
      const outcome = await placeCard(ctx, view, card, retrying);
      if ('refused' in outcome) refused = outcome.refused;
      else {
        card.channelId = outcome.channel;
        card.messageTs = outcome.ts;
        posted = true;
      }
    }
    await tellRequester(ctx, view, card, refused, retrying);
    await tellTechnician(ctx, view, card, retrying);
    await finishCardDelivery(db, ticket.id);
    return posted;
  } catch (error) {
    if (error instanceof LeaseRunningOut) return false;
    // Slack could not be reached or answered something that passes: the next catch-up goes on.
    await releaseCardLease(db, ticket.id).catch((released: unknown) =>
      ctx.logger.warn({ err: released, ticketId: ticket.id }, 'could not give the card back to the catch-up'),
    );
    throw error;
  }
}

/** The card's channel; a ticket made before cards stayed out of DMs may name its requester instead. */
function cardChannelOf(ctx: SlackContext, card: CardRecord): string | undefined {
  const target = card.channelId ?? undefined;
  if (target && /^[UW]/.test(target)) return ctx.config.helpdeskChannelId;
  return target;
}

async function placeCard(
  ctx: SlackContext,
  view: TicketView,
  card: CardRecord,
  retrying: boolean,
): Promise<MessageLocation | { refused: string | null }> {
  const { ticket } = view;
  const channel = cardChannelOf(ctx, card);
  if (!channel) return { refused: null };
  await ensureSourcePermalink(ctx, view);
  if (retrying) {
    const found = await keepingLease(ctx, ticket.id, () => ctx.publisher.findCard(channel, ticket));
    if (found) {
      // The card found shows the ticket as it was when posted: changes made since (while Slack
      // hung, say) are drawn on it now.
      void ctx.publisher.refreshCard(ticket.id);
      return found;
    }
  }
  if (!(await holdsCardLease(ctx.services.db, ticket.id, POST_LEASE_LEFT_MS))) throw new LeaseRunningOut();
  const posting = await keepingLease(ctx, ticket.id, () => ctx.publisher.postCard(view, channel));
  if ('refused' in posting) {
    ctx.logger.warn({ ticketId: ticket.id, channel }, 'Slack refused the ticket card');
    return posting;
  }
  return posting.posted;
}

/** Runs `work` with the ticket's card lease renewed every LEASE_RENEW_MS until it is done. */
async function keepingLease<T>(ctx: SlackContext, ticketId: number, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    renewCardLease(ctx.services.db, ticketId, POST_LEASE_LEFT_MS).catch((error: unknown) =>
      ctx.logger.warn({ err: error, ticketId }, 'could not renew the card lease while waiting for Slack'),
    );
  }, LEASE_RENEW_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * A ticket made from a message links back to it. The link is made from the workspace's address
 * when the modal is submitted; without it, chat.getPermalink is asked here, after the ack.
 */
async function ensureSourcePermalink(ctx: SlackContext, view: TicketView): Promise<void> {
  const { ticket } = view;
  if (!ticket.sourceChannelId || !ticket.sourceMessageTs || ticket.sourcePermalink) return;
  const link = await ctx.publisher.permalink(ticket.sourceChannelId, ticket.sourceMessageTs);
  if (!link) return;
  await recordSourcePermalink(ctx.services.db, ticket.id, link);
  ticket.sourcePermalink = link;
}

/** The requester's DM: the card's link, or why the ticket has no card. */
async function tellRequester(
  ctx: SlackContext,
  view: TicketView,
  card: CardRecord,
  refused: string | null | undefined,
  retrying: boolean,
): Promise<void> {
  const { ticket } = view;
  if (card.requesterToldAt) return;
  const t = ctx.texts.slack(view.requester?.locale);
  const title = escapeAndTruncate(ticket.title, 200);
  let text: string;
  if (refused === null) text = t('cardNeedsHelpdesk', { id: ticket.id, title });
  else if (refused !== undefined) text = t('cannotPost', { channel: refused, id: ticket.id, title });
  else {
    const posted = postedCard(card);
    const link = posted ? await ctx.publisher.permalink(posted.channel, posted.ts) : undefined;
    text = link
      ? t('dmCreated', { id: ticket.id, title, link })
      : t('dmCreatedNoLink', { id: ticket.id, title });
  }
  await dmOrGiveUp(ctx, ticket.id, ticket.requesterId, () =>
    ctx.publisher.dmOnce(ticket.requesterId, { text }, dmOnce(ticket, 'requester', retrying)),
  );
  await recordRequesterTold(ctx.services.db, ticket.id, { cardRefused: refused !== undefined });
  card.requesterToldAt = new Date();
}

async function tellTechnician(
  ctx: SlackContext,
  view: TicketView,
  card: CardRecord,
  retrying: boolean,
): Promise<void> {
  const { ticket } = view;
  const technicianId = ticket.technicianId;
  if (!technicianId || technicianId === ticket.requesterId || card.technicianToldAt) return;
  // Assigned after it was created (while its delivery waited for Slack): that assignment's own
  // DM is owed in the Slack outbox (src/slack/outbox.ts), not this one.
  const assignedSince = await ctx.services.db.models.TicketEvent.count({
    where: { ticketId: ticket.id, type: ['assigned', 'unassigned'] },
  });
  if (assignedSince > 0) return;
  await dmOrGiveUp(ctx, ticket.id, technicianId, () =>
    dmAssigned(ctx, ticket.id, technicianId, dmOnce(ticket, 'technician', retrying)),
  );
  await recordTechnicianTold(ctx.services.db, ticket.id);
  card.technicianToldAt = new Date();
}

/**
 * A new ticket's DM is sent once: a catch-up (`retrying`) looks for it in the DM's history first,
 * since an earlier attempt may have posted it and lost Slack's answer (src/slack/publisher.ts).
 */
function dmOnce(ticket: TicketView['ticket'], to: 'requester' | 'technician', retrying: boolean): Once {
  return { key: `ticket:${ticket.id}:${to}`, unsure: retrying, since: ticket.createdAt };
}

/** Sends a DM; a person Slack will never let the bot reach is logged and skipped, not retried. */
async function dmOrGiveUp(
  ctx: SlackContext,
  ticketId: number,
  userId: string,
  send: () => Promise<unknown>,
): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (!isDmRefused(error)) throw error;
    ctx.logger.warn({ err: error, ticketId, slackUser: userId }, 'Slack refused the DM about a new ticket');
  }
}
