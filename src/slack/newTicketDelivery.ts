import { Op } from 'sequelize';
import { AUTO_ASSIGN_RULES, autoAssignActor } from '../db/models/ticketEvent.js';
import { requestTypeById, type TicketChange } from '../tickets/index.js';
import { loadTicketView, type TicketView } from '../tickets/queries.js';
import { recordSourcePermalink } from '../tickets/statements.js';
import { POST_LEASE_LEFT_MS } from './cardLeases.js';
import type { SlackContext } from './context.js';
import { dmAssigned } from './hooks.js';
import { guardedSends } from './pacing.js';
import type { Once } from './publisher.js';
import { isDmRefused } from './slackErrors.js';
import {
  type CardRecord,
  cardOf,
  cardsToCatchUp,
  finishCardDelivery,
  type MessageLocation,
  postedCard,
  recordRequesterTold,
  recordTechnicianTold,
  releaseCardLease,
  takeCardLease,
} from './store/cards.js';
import { escapeAndTruncate } from './text.js';

// The process delivering a new ticket (its card, then the requester's and the technician's DMs)
// holds the job with a short lease (CARD_LEASE_MS, src/slack/cardLeases.ts) that its heartbeat
// renews while it lives, including while a post waits for Slack's rate limit (src/slack/pacing.ts).
// Delivery starts only while the lease is this process's with POST_LEASE_LEFT_MS of it left, and
// the post is sent only if that still holds at the moment it leaves, so no card is posted by two
// processes at once. When Slack cannot be reached, the lease is given back at once; when the
// process dies, it runs out within CARD_LEASE_MS of the last heartbeat. Either way a catch-up
// (every CARD_CATCH_UP_MS, any replica) then takes over.

/**
 * Right after a ticket is created (in the background, once Slack has its acknowledgement): its
 * card goes to the channel stored with it, drawn from the change itself (the rows were written a
 * moment ago); the requester gets a link, an assigned technician a DM.
 */
export async function deliverNewTicket(ctx: SlackContext, change: TicketChange): Promise<void> {
  const { ticket, event } = change;
  const card = await cardOf(ctx.services.db, ticket.id).catch((error: unknown) => {
    // Given back to the heartbeat's timeout: the catch-up delivers it once the lease runs out.
    ctx.cardLeases.forget(ticket.id);
    throw error;
  });
  // The lease is no longer this process's (it ran out while the database was away, and the
  // catch-up took the delivery over), or is running short: then the catch-up does it.
  if (
    !card?.leaseUntil ||
    card.leaseOwner !== ctx.cardLeases.owner ||
    ctx.cardLeases.left(ticket.id) < POST_LEASE_LEFT_MS
  ) {
    ctx.cardLeases.forget(ticket.id);
    return;
  }
  const [requester, technician, opener] = await Promise.all([
    ctx.directory.profile(ticket.requesterId),
    ticket.technicianId ? ctx.directory.profile(ticket.technicianId) : null,
    // Opened for someone else (their message, by a reaction): the card names who opened it.
    event.actorId !== ticket.requesterId ? ctx.directory.profile(event.actorId) : undefined,
  ]);
  const actor = opener === undefined ? requester : opener;
  // From memory; a type made on another replica a moment ago is read from the database.
  const type = ticket.requestTypeId
    ? (ctx.roster.requestTypes().find((each) => each.id === ticket.requestTypeId) ??
      (await requestTypeById(ctx.services.db, ticket.requestTypeId)))
    : undefined;
  const view = {
    ticket,
    requester,
    technician,
    // Assigned by ticketbot as it was stored (a type's rule): the card says so, as it is latest.
    latest: change.autoAssignment ? { event: change.autoAssignment, actor: null } : { event, actor },
    requestType: type ? { id: type.id, name: type.name } : null,
  };
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
    const until = ctx.cardLeases.leaseEnd();
    if (!(await takeCardLease(db, ticketId, ctx.cardLeases.owner, until))) continue;
    ctx.cardLeases.hold(ticketId, until);
    const [view, card] = await Promise.all([loadTicketView(db, ticketId), cardOf(db, ticketId)]).catch(
      (error: unknown) => {
        ctx.cardLeases.forget(ticketId);
        throw error;
      },
    );
    if (!view || !card) {
      ctx.cardLeases.forget(ticketId);
      continue;
    }
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
class LeaseRunningOut extends Error {
  constructor(ticketId: number) {
    super(`the lease on ticket ${ticketId}'s delivery is running out: its card is not sent from here`);
  }
}

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
    if (error instanceof LeaseRunningOut) {
      ctx.logger.warn({ ticketId: ticket.id }, error.message);
      return false;
    }
    // Slack could not be reached or answered something that passes: the next catch-up goes on.
    await releaseCardLease(db, ticket.id).catch((released: unknown) =>
      ctx.logger.warn({ err: released, ticketId: ticket.id }, 'could not give the card back to the catch-up'),
    );
    throw error;
  } finally {
    ctx.cardLeases.forget(ticket.id);
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
    const found = await ctx.publisher.findCard(channel, ticket);
    if (found) {
      // The card found shows the ticket as it was when posted: changes made since (while Slack
      // hung, say) are drawn on it now.
      void ctx.publisher.refreshCard(ticket.id);
      return found;
    }
  }
  const posting = await whileLeaseHeld(ctx, ticket.id, () => ctx.publisher.postCard(view, channel));
  if ('refused' in posting) {
    ctx.logger.warn({ ticketId: ticket.id, channel }, 'Slack refused the ticket card');
    return posting;
  }
  return posting.posted;
}

/**
 * Runs `work` (the post), whose requests are sent only while this process holds the ticket's
 * lease with POST_LEASE_LEFT_MS of it left, checked at the moment each request leaves (after any
 * wait for Slack's rate limit): a request whose answer can take up to 20 s is never under way when
 * the lease could run out and another process take the card over.
 */
async function whileLeaseHeld<T>(ctx: SlackContext, ticketId: number, work: () => Promise<T>): Promise<T> {
  let refused = false;
  let over = false;
  const guard = () => {
    // Anything `work` set off that calls Slack after it is over is not the post: not checked.
    if (over || ctx.cardLeases.left(ticketId) >= POST_LEASE_LEFT_MS) return;
    refused = true;
    throw new LeaseRunningOut(ticketId);
  };
  guard();
  try {
    return await guardedSends(guard, work);
  } catch (error) {
    if (refused) throw new LeaseRunningOut(ticketId);
    throw error;
  } finally {
    over = true;
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
    if (ticket.requestTypeId && ctx.roster.isPrivateType(ticket.requestTypeId)) {
      // The card is in a private channel the requester cannot open: the link is the status page's,
      // and the ticket's news come by DM (src/slack/hooks.ts).
      text = t('dmCreatedPrivate', {
        id: ticket.id,
        title,
        link: `${ctx.config.publicUrl}/tickets/${ticket.id}`,
      });
    } else {
      const link = posted ? await ctx.publisher.permalink(posted.channel, posted.ts) : undefined;
      text = link
        ? t('dmCreated', { id: ticket.id, title, link })
        : t('dmCreatedNoLink', { id: ticket.id, title });
    }
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
  // DM is owed in the Slack outbox (src/slack/outbox.ts), not this one. ticketbot's assignment
  // under the type's rule, made with the ticket, is told here (src/slack/hooks.ts owes none).
  const assignedSince = await ctx.services.db.models.TicketEvent.count({
    where: {
      ticketId: ticket.id,
      type: ['assigned', 'unassigned'],
      actorId: { [Op.notIn]: AUTO_ASSIGN_RULES.map(autoAssignActor) },
    },
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
