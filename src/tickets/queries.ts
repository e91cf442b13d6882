import { Op } from 'sequelize';
import { type Database, writeAlone } from '../db/index.js';
import type { Ticket } from '../db/models/ticket.js';
import type { TicketEvent } from '../db/models/ticketEvent.js';
import type { User } from '../db/models/user.js';
import { sqlReadOnce, sqlWriteOnce } from '../db/sql.js';
import { latestEvent, readTicket, usersById } from './statements.js';

// Read-only questions the Slack layer asks about tickets. No rules here: those live in the
// commands (createTicket, changeStatus…); these only fetch what a view needs.

/** Everything a ticket card shows: the ticket, the people on it, and the latest event. */
export interface TicketView {
  ticket: Ticket;
  requester: User | null;
  technician: User | null;
  latest: { event: TicketEvent; actor: User | null } | null;
}

export async function loadTicketView(db: Database, ticketId: number): Promise<TicketView | null> {
  // Read for every card update: through the driver (statements.ts).
  const ticket = await readTicket(db, ticketId);
  if (!ticket) return null;
  const event = await latestEvent(db, ticketId);
  const people = await usersById(db, [
    ticket.requesterId,
    ticket.technicianId,
    event?.actorId,
    event?.toValue,
  ]);
  return {
    ticket,
    requester: people.get(ticket.requesterId) ?? null,
    technician: ticket.technicianId ? (people.get(ticket.technicianId) ?? null) : null,
    latest: event ? { event, actor: people.get(event.actorId) ?? null } : null,
  };
}

/** The ticket whose card is the message `ts` in `channelId` (a thread's parent). */
export function findTicketByCard(db: Database, channelId: string, ts: string): Promise<Ticket | null> {
  return db.models.Ticket.findOne({ where: { slackChannelId: channelId, slackMessageTs: ts } });
}

/**
 * The comment a Slack message became, found by the message alone (channel and ts): the thread it
 * is in is the card of the comment's ticket.
 */
export async function findCommentBySlackMessage(
  db: Database,
  channelId: string,
  ts: string,
): Promise<{ ticketId: number; authorId: string; threadTs: string } | null> {
  const [row] = await sqlReadOnce<{ ticketId: number; authorId: string; threadTs: string }>(
    db,
    `SELECT c.ticket_id AS ticketId, c.author_id AS authorId, t.slack_message_ts AS threadTs
     FROM comments c JOIN tickets t ON t.id = c.ticket_id
     WHERE t.slack_channel_id = ? AND c.slack_ts = ? AND t.slack_message_ts IS NOT NULL`,
    [channelId, ts],
  );
  return row ? { ticketId: Number(row.ticketId), authorId: row.authorId, threadTs: row.threadTs } : null;
}

/**
 * Remembers where a ticket's card was posted. Not a ticket change (no version bump, no event):
 * the card is a view of the ticket, and this is only its address. The lease stays: the DMs that
 * follow the card are still owed (finishCardDelivery ends it).
 */
export async function recordCardLocation(
  db: Database,
  ticketId: number,
  channelId: string,
  ts: string,
): Promise<void> {
  // Once per new ticket, right after its card is posted: through the driver (src/db/sql.ts).
  await sqlWriteOnce(
    db,
    'UPDATE tickets SET slack_channel_id = ?, slack_message_ts = ?, updated_at = ? WHERE id = ?',
    [channelId, ts, new Date(), ticketId],
  );
}

/**
 * The requester has had the new ticket's DM. With `cardRefused`, Slack refused the card's channel
 * and the DM said so: the ticket stays without a card (its channel is forgotten).
 */
export async function recordRequesterTold(
  db: Database,
  ticketId: number,
  options: { cardRefused?: boolean } = {},
): Promise<void> {
  await sqlWriteOnce(
    db,
    options.cardRefused
      ? 'UPDATE tickets SET requester_told_at = ?, slack_channel_id = NULL WHERE id = ? AND slack_message_ts IS NULL'
      : 'UPDATE tickets SET requester_told_at = ? WHERE id = ?',
    [new Date(), ticketId],
  );
}

/** The technician named at creation has had their DM about the new ticket. */
export async function recordTechnicianTold(db: Database, ticketId: number): Promise<void> {
  await sqlWriteOnce(db, 'UPDATE tickets SET technician_told_at = ? WHERE id = ?', [new Date(), ticketId]);
}

/** The new ticket's card and its DMs are all delivered (or given up): nothing more is owed. */
export async function finishCardDelivery(db: Database, ticketId: number): Promise<void> {
  await sqlWriteOnce(db, 'UPDATE tickets SET card_lease_until = NULL WHERE id = ?', [ticketId]);
}

/**
 * Takes the lease on a delivery whose lease ran out or was given back (a catch-up). False when
 * the delivery finished meanwhile or someone else took it first.
 */
export async function takeCardLease(db: Database, ticketId: number, forMs: number): Promise<boolean> {
  const now = new Date();
  const { affectedRows } = await sqlWriteOnce(
    db,
    'UPDATE tickets SET card_lease_until = ? WHERE id = ? AND card_lease_until <= ?',
    [new Date(now.getTime() + forMs), ticketId, now],
  );
  return affectedRows === 1;
}

/**
 * Gives back the lease on a delivery at once, after Slack could not be reached (or answered
 * something other than a refusal): the next catch-up (within a minute, in any replica) goes on
 * with it instead of waiting for the lease.
 */
export async function releaseCardLease(db: Database, ticketId: number): Promise<void> {
  await sqlWriteOnce(
    db,
    'UPDATE tickets SET card_lease_until = ? WHERE id = ? AND card_lease_until IS NOT NULL',
    [new Date(), ticketId],
  );
}

/**
 * Whether the lease on the ticket's delivery still has at least `forMs` to run (after a long
 * backlog a catch-up may have taken the job over; the card is only posted while the lease
 * outlasts the posting).
 */
export async function holdsCardLease(db: Database, ticketId: number, forMs: number): Promise<boolean> {
  const rows = await sqlReadOnce(db, 'SELECT id FROM tickets WHERE id = ? AND card_lease_until >= ?', [
    ticketId,
    new Date(Date.now() + forMs),
  ]);
  return rows.length === 1;
}

/** Tickets whose delivery is still owed and whose lease ran out, oldest lease first. */
export async function cardsToCatchUp(db: Database, limit: number): Promise<number[]> {
  const rows = await sqlReadOnce<{ id: number }>(
    db,
    'SELECT id FROM tickets WHERE card_lease_until <= ? ORDER BY card_lease_until LIMIT ?',
    [new Date(), limit],
  );
  return rows.map((row) => Number(row.id));
}

/** Remembers the link to the Slack message a ticket was made from, once it is known. */
export async function recordSourcePermalink(
  db: Database,
  ticketId: number,
  permalink: string,
): Promise<void> {
  await sqlWriteOnce(
    db,
    'UPDATE tickets SET source_permalink = ? WHERE id = ? AND source_permalink IS NULL',
    [permalink, ticketId],
  );
}

/** Where a message is in Slack. */
export interface MessageLocation {
  channel: string;
  ts: string;
}

/** The rating DM still waiting for an answer, if any. */
export function ratingPromptOf(ticket: Ticket): MessageLocation | null {
  return ticket.ratingPromptChannelId && ticket.ratingPromptTs
    ? { channel: ticket.ratingPromptChannelId, ts: ticket.ratingPromptTs }
    : null;
}

/**
 * Remembers where the rating prompt for `resolution` was posted, like the card's address (no
 * version bump, no event). Only while the ticket is still closed at that resolution: false means
 * it moved on while the DM was being posted, and the prompt already no longer applies.
 */
export async function recordRatingPrompt(
  db: Database,
  ticketId: number,
  resolution: number,
  prompt: MessageLocation,
): Promise<boolean> {
  const [count] = await writeAlone(db, () =>
    db.models.Ticket.update(
      { ratingPromptChannelId: prompt.channel, ratingPromptTs: prompt.ts },
      { where: { id: ticketId, status: 'closed', resolution }, silent: true },
    ),
  );
  return count > 0;
}

/** Forgets the rating prompt once it has been replaced, unless a newer one took its place meanwhile. */
export async function forgetRatingPrompt(
  db: Database,
  ticketId: number,
  prompt: MessageLocation,
): Promise<void> {
  await writeAlone(db, () =>
    db.models.Ticket.update(
      { ratingPromptChannelId: null, ratingPromptTs: null },
      {
        where: { id: ticketId, ratingPromptChannelId: prompt.channel, ratingPromptTs: prompt.ts },
        silent: true,
      },
    ),
  );
}

/** Whether the requester has rated the ticket's `resolution` (its prompt was answered). */
export async function isRated(db: Database, ticketId: number, resolution: number): Promise<boolean> {
  return (await ratingOf(db, ticketId, resolution)) !== null;
}

/** The requester's rating of the ticket's `resolution`, if they gave one. */
export function ratingOf(db: Database, ticketId: number, resolution: number) {
  return db.models.Rating.findOne({ where: { ticketId, resolution } });
}

export interface TicketList {
  tickets: Ticket[];
  total: number;
}

/** A requester's tickets that are not closed (open, in progress or resolved), most recently active first. */
export function unclosedTicketsRequestedBy(
  db: Database,
  requesterId: string,
  limit: number,
): Promise<TicketList> {
  return unclosedTickets(db, { requesterId }, limit);
}

/** A technician's tickets that are not closed, most recently active first. */
export function unclosedTicketsAssignedTo(
  db: Database,
  technicianId: string,
  limit: number,
): Promise<TicketList> {
  return unclosedTickets(db, { technicianId }, limit);
}

async function unclosedTickets(
  db: Database,
  person: { requesterId: string } | { technicianId: string },
  limit: number,
): Promise<TicketList> {
  const { rows, count } = await db.models.Ticket.findAndCountAll({
    where: { ...person, status: { [Op.ne]: 'closed' } },
    order: [
      ['lastActivityAt', 'DESC'],
      ['id', 'DESC'],
    ],
    limit,
  });
  return { tickets: rows, total: count };
}
