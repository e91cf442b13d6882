import { autoAssignRuleOf } from '../db/models/ticketEvent.js';
import type { SlackKey } from '../i18n/index.js';
import type { InTransactionHook, TicketChange } from '../tickets/index.js';
import { loadTicketView } from '../tickets/queries.js';
import { commentCopyText } from './blocks/commentCopy.js';
import { LIMITS } from './blocks/limits.js';
import { person } from './blocks/people.js';
import type { SlackContext } from './context.js';
import type { Once } from './publisher.js';
import { retireRatingPrompt, sendRatingPrompt } from './ratingPrompts.js';
import { cardOf, postedCard } from './store/cards.js';
import { type OwedWork, writeOwed } from './store/outbox.js';
import { escapeAndTruncate, slackDate } from './text.js';

/** The kinds of work a ticket change may owe Slack (slack_outbox.kind). */
export const OWED = {
  dmAssigned: 'dm_assigned',
  ratingPrompt: 'rating_prompt',
  retireRatingPrompt: 'retire_rating_prompt',
  commentToThread: 'comment_to_thread',
  followPrivate: 'follow_private',
  slaAlert: 'sla_alert',
} as const;

/**
 * What a change owes Slack beyond its card and App Homes (which are redrawn from the database
 * and caught up on their own): the technician's DM on assignment, the rating prompt on closing
 * (edited when the ticket is reopened unanswered), a comment made outside the thread copied into
 * it.
 */
export function owedToSlack(
  change: TicketChange,
  isPrivateType: (typeId: number) => boolean = () => false,
): OwedWork[] {
  const { ticket, event } = change;
  const owed: OwedWork[] = [];
  // A private request type's requester cannot see its card's channel: they follow it by DM
  // (its status changes, and the comments of others), unless they made the change themselves.
  if (
    ticket.requestTypeId !== null &&
    ticket.requestTypeId !== undefined &&
    isPrivateType(ticket.requestTypeId)
  ) {
    if (
      (event.type === 'status_changed' || event.type === 'reopened') &&
      event.actorId !== ticket.requesterId
    ) {
      owed.push({ kind: OWED.followPrivate, payload: { status: ticket.status, actorId: event.actorId } });
    }
    if (event.type === 'commented' && change.comment && change.comment.authorId !== ticket.requesterId) {
      owed.push({
        kind: OWED.followPrivate,
        payload: { authorId: change.comment.authorId, body: change.comment.body },
      });
    }
  }
  // ticketbot's own assignment of a new ticket (a request type's rule) is told with the ticket's
  // delivery, once its card is posted, as a technician named in the modal is: the DM then links
  // to the card (src/slack/newTicketDelivery.ts, tellTechnician). Work owed here would run at once,
  // before the card exists.
  if (
    event.type === 'assigned' &&
    ticket.technicianId &&
    ticket.technicianId !== event.actorId &&
    !autoAssignRuleOf(event.actorId)
  ) {
    owed.push({ kind: OWED.dmAssigned, payload: { technicianId: ticket.technicianId } });
  }
  // A service-level warning or breach (src/tickets/slaAlerts.ts): the technician or the thread is told.
  if (event.type === 'sla_warning' || event.type === 'sla_breached') {
    owed.push({
      kind: OWED.slaAlert,
      payload: { alert: event.type === 'sla_breached' ? 'breach' : 'warning', target: event.fromValue },
    });
  }
  if (event.type === 'status_changed' && event.toValue === 'closed') {
    owed.push({ kind: OWED.ratingPrompt, payload: { resolution: ticket.resolution } });
  }
  if (change.before?.status === 'closed' && ticket.status !== 'closed') {
    owed.push({ kind: OWED.retireRatingPrompt, payload: {} });
  }
  if (event.type === 'commented' && change.comment && !change.comment.slackTs) {
    const comment = change.comment;
    owed.push({ kind: OWED.commentToThread, payload: { authorId: comment.authorId, body: comment.body } });
  }
  return owed;
}

/** Writes what a change owes Slack in the change's own transaction (src/slack/outbox.ts). */
export function recordOwedToSlack(ctx: SlackContext): InTransactionHook {
  return async (change, transaction) => {
    const owed = owedToSlack(change, (id) => ctx.roster.isPrivateType(id));
    if (owed.length > 0) await writeOwed(ctx.services.db, transaction, change.ticket.id, owed, new Date());
  };
}

/**
 * What Slack shows after any committed ticket change, whatever made it (a button, a thread
 * reply, the status page): the card in place, the App Homes of the people on the ticket, and the
 * work the change wrote in the Slack outbox, carried out now. All of it runs after the
 * acknowledgement, in the background.
 */
export function reactToTicketChanges(ctx: SlackContext): (change: TicketChange) => void {
  return (change) => {
    const { ticket, event } = change;
    if (event.type !== 'created') void ctx.publisher.refreshCard(ticket.id);
    for (const userId of new Set([ticket.requesterId, ticket.technicianId, change.before?.technicianId])) {
      if (userId) void ctx.publisher.refreshHome(userId);
    }
    if (owedToSlack(change, (id) => ctx.roster.isPrivateType(id)).length > 0) void ctx.outbox.wake(ticket.id);
  };
}

/** How each kind of work the outbox holds is carried out. */
export function registerOwedWork(ctx: SlackContext): void {
  const once = (work: { key: string; unsure: boolean; createdAt: Date }): Once => ({
    key: work.key,
    unsure: work.unsure,
    since: work.createdAt,
  });
  ctx.outbox.on(OWED.dmAssigned, (ticketId, payload, work) =>
    dmAssigned(ctx, ticketId, String(payload.technicianId), once(work)),
  );
  ctx.outbox.on(OWED.ratingPrompt, (ticketId, payload, work) =>
    sendRatingPrompt(ctx, ticketId, Number(payload.resolution), once(work)),
  );
  ctx.outbox.on(OWED.retireRatingPrompt, (ticketId, _payload, work) =>
    retireRatingPrompt(ctx, ticketId, once(work)),
  );
  ctx.outbox.on(OWED.commentToThread, (ticketId, payload, work) =>
    copyCommentToThread(ctx, ticketId, String(payload.authorId), String(payload.body), once(work)),
  );
  ctx.outbox.on(OWED.followPrivate, (ticketId, payload, work) =>
    followPrivate(ctx, ticketId, payload, once(work)),
  );
  ctx.outbox.on(OWED.slaAlert, (ticketId, payload, work) => slaAlert(ctx, ticketId, payload, once(work)));
}

/**
 * The requester of a private request type's ticket hears of it by DM (they cannot see the
 * private channel its card is in): a status change, or a comment of someone else, copied whole
 * up to what a message holds (the rest on the status page). Sent once (`once`).
 */
async function followPrivate(
  ctx: SlackContext,
  ticketId: number,
  payload: Record<string, unknown>,
  once: Once,
): Promise<void> {
  const view = await loadTicketView(ctx.services.db, ticketId);
  if (!view) return;
  const { ticket } = view;
  const t = ctx.texts.slack(view.requester?.locale);
  const title = escapeAndTruncate(ticket.title, 200);
  const link = `${ctx.config.publicUrl}/tickets/${ticketId}`;
  let text: string;
  if (typeof payload.body === 'string') {
    const authorId = String(payload.authorId);
    const author = await ctx.directory.refresh(authorId);
    text = `${t('dmPrivateComment', { id: ticketId, title, link })}\n${commentCopyText(
      `*${person(author, authorId)}*`,
      payload.body,
      link,
      t,
    )}`;
  } else {
    const status = String(payload.status ?? ticket.status);
    text = t('dmPrivateStatus', {
      id: ticketId,
      title,
      link,
      status: t.has(`status.${status}`) ? t(`status.${status}` as SlackKey) : status,
    });
  }
  await ctx.publisher.dmOnce(ticket.requesterId, { text: text.slice(0, LIMITS.messageText) }, once);
}

/** The technician's DM about a ticket assigned to them, sent once (`once`). */
export async function dmAssigned(
  ctx: SlackContext,
  ticketId: number,
  technicianId: string,
  once: Once,
): Promise<void> {
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
  await ctx.publisher.dmOnce(technicianId, { text }, once);
}

/**
 * A service-level warning goes to the assigned technician by DM, or, with nobody assigned, to the
 * card's thread for the helpdesk to see; a breach is said in the card's thread (the card itself
 * shows it once redrawn). Each is sent once (`once`); a thread message waits for its card.
 */
async function slaAlert(
  ctx: SlackContext,
  ticketId: number,
  payload: Record<string, unknown>,
  once: Once,
): Promise<void> {
  const [view, record] = await Promise.all([
    loadTicketView(ctx.services.db, ticketId),
    cardOf(ctx.services.db, ticketId),
  ]);
  if (!view) return;
  const { ticket } = view;
  const card = postedCard(record);
  const target = payload.target === 'response' ? 'response' : 'resolution';
  const dueAt = target === 'response' ? ticket.slaResponseDueAt : ticket.slaResolutionDueAt;
  const values = {
    id: ticket.id,
    title: escapeAndTruncate(ticket.title, 200),
    target,
    due: dueAt ? slackDate(dueAt) : '',
  };
  if (payload.alert === 'warning' && ticket.technicianId) {
    const t = ctx.texts.slack(await ctx.directory.language(ticket.technicianId));
    const link = card ? await ctx.publisher.permalink(card.channel, card.ts) : undefined;
    const text = link ? t('slaWarningDm', { ...values, link }) : t('slaWarningDmNoLink', values);
    await ctx.publisher.dmOnce(ticket.technicianId, { text }, once);
    return;
  }
  if (!card && record?.channelId) throw new CardNotPostedYet(ticketId);
  if (!card) return;
  const t = ctx.texts.slack(view.requester?.locale);
  const text = payload.alert === 'warning' ? t('slaWarningThread', values) : t('slaBreachedThread', values);
  await ctx.publisher.threadReplyOnce(card, text, once);
}

/** A comment's copy waits for its ticket's card, itself still owed to Slack. */
class CardNotPostedYet extends Error {
  constructor(ticketId: number) {
    super(`the card of ticket ${ticketId} is not posted yet`);
  }
}

async function copyCommentToThread(
  ctx: SlackContext,
  ticketId: number,
  authorId: string,
  body: string,
  once: Once,
): Promise<void> {
  const record = await cardOf(ctx.services.db, ticketId);
  const card = postedCard(record);
  // The card is still owed (Slack has not taken it yet): the copy waits for it.
  if (!card && record?.channelId) throw new CardNotPostedYet(ticketId);
  if (!card) return;
  const view = await loadTicketView(ctx.services.db, ticketId);
  if (!view) return;
  const author = await ctx.directory.refresh(authorId);
  const t = ctx.texts.slack(view.requester?.locale);
  const text = commentCopyText(
    `*${person(author, authorId)}*`,
    body,
    `${ctx.config.publicUrl}/tickets/${ticketId}`,
    t,
  );
  await ctx.publisher.threadReplyOnce(card, text, once);
}
