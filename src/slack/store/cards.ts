import type { Transaction } from 'sequelize';
import type { Database } from '../../db/index.js';
import { fromRow, sqlReadOnce, sqlWrite, sqlWriteOnce } from '../../db/sql.js';

// Where each ticket's card is in Slack, and the delivery of a new ticket: the card, then the
// requester's and the technician's DMs, under a lease. Slack's own bookkeeping (slack_cards); the
// ticket rules never see it. Every statement here is on a path Slack waits on or runs for every
// card, so they go through the driver (src/db/sql.ts).

/** Where a message is in Slack. */
export interface MessageLocation {
  channel: string;
  ts: string;
}

/** A ticket's card as slack_cards holds it (src/db/models/slackCard.ts says what each field means). */
export interface CardRecord {
  ticketId: number;
  channelId: string | null;
  messageTs: string | null;
  leaseUntil: Date | null;
  /** The process holding the lease (src/slack/cardLeases.ts). */
  leaseOwner: string | null;
  requesterToldAt: Date | null;
  technicianToldAt: Date | null;
}

/**
 * A new ticket's card, owed in `channelId`, its delivery held by `leaseOwner` until `leaseUntil`:
 * written in the ticket's own transaction, so no ticket is stored without the card it is owed.
 */
export async function insertCard(
  db: Database,
  transaction: Transaction,
  card: { ticketId: number; channelId: string; leaseUntil: Date; leaseOwner?: string | null },
): Promise<void> {
  await sqlWrite(
    db,
    transaction,
    'INSERT INTO slack_cards (ticket_id, channel_id, lease_until, lease_owner) VALUES (?, ?, ?, ?)',
    [card.ticketId, card.channelId, card.leaseUntil, card.leaseOwner ?? null],
  );
}

/** The ticket's card, if it has (or is owed) one. */
export async function cardOf(db: Database, ticketId: number): Promise<CardRecord | null> {
  const [row] = await sqlReadOnce<Record<string, unknown>>(
    db,
    'SELECT * FROM slack_cards WHERE ticket_id = ?',
    [ticketId],
  );
  return row ? fromRow(db.models.SlackCard, row).get({ plain: true }) : null;
}

/** Where the ticket's card is, once it is posted. */
export function postedCard(card: CardRecord | null): MessageLocation | null {
  return card?.channelId && card.messageTs ? { channel: card.channelId, ts: card.messageTs } : null;
}

/** The ticket whose card is the message `ts` in `channelId` (a thread's parent). */
export async function ticketIdOfCard(db: Database, channelId: string, ts: string): Promise<number | null> {
  const [row] = await sqlReadOnce<{ ticketId: number }>(
    db,
    'SELECT ticket_id AS ticketId FROM slack_cards WHERE channel_id = ? AND message_ts = ?',
    [channelId, ts],
  );
  return row ? Number(row.ticketId) : null;
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
    `SELECT c.ticket_id AS ticketId, c.author_id AS authorId, k.message_ts AS threadTs
     FROM comments c JOIN slack_cards k ON k.ticket_id = c.ticket_id
     WHERE k.channel_id = ? AND c.slack_ts = ? AND k.message_ts IS NOT NULL`,
    [channelId, ts],
  );
  return row ? { ticketId: Number(row.ticketId), authorId: row.authorId, threadTs: row.threadTs } : null;
}

/**
 * Remembers where a ticket's card was posted. The lease stays: the DMs that follow the card are
 * still owed (finishCardDelivery ends it).
 */
export async function recordCardLocation(
  db: Database,
  ticketId: number,
  channelId: string,
  ts: string,
): Promise<void> {
  await sqlWriteOnce(db, 'UPDATE slack_cards SET channel_id = ?, message_ts = ? WHERE ticket_id = ?', [
    channelId,
    ts,
    ticketId,
  ]);
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
      ? 'UPDATE slack_cards SET requester_told_at = ?, channel_id = NULL WHERE ticket_id = ? AND message_ts IS NULL'
      : 'UPDATE slack_cards SET requester_told_at = ? WHERE ticket_id = ?',
    [new Date(), ticketId],
  );
}

/** The technician named at creation has had their DM about the new ticket. */
export async function recordTechnicianTold(db: Database, ticketId: number): Promise<void> {
  await sqlWriteOnce(db, 'UPDATE slack_cards SET technician_told_at = ? WHERE ticket_id = ?', [
    new Date(),
    ticketId,
  ]);
}

/** The new ticket's card and its DMs are all delivered (or given up): nothing more is owed. */
export async function finishCardDelivery(db: Database, ticketId: number): Promise<void> {
  await sqlWriteOnce(
    db,
    'UPDATE slack_cards SET lease_until = NULL, lease_owner = NULL WHERE ticket_id = ?',
    [ticketId],
  );
}

/**
 * Takes the lease on a delivery whose lease ran out or was given back (a catch-up), for `owner`
 * until `until`. False when the delivery finished meanwhile or someone else took it first.
 */
export async function takeCardLease(
  db: Database,
  ticketId: number,
  owner: string,
  until: Date,
): Promise<boolean> {
  const { affectedRows } = await sqlWriteOnce(
    db,
    'UPDATE slack_cards SET lease_until = ?, lease_owner = ? WHERE ticket_id = ? AND lease_until <= ?',
    [until, owner, ticketId, new Date()],
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
    'UPDATE slack_cards SET lease_until = ?, lease_owner = NULL WHERE ticket_id = ? AND lease_until IS NOT NULL',
    [new Date(), ticketId],
  );
}

/**
 * The heartbeat of the process `owner`: the leases it still holds on `ticketIds` now run until
 * `until`. A lease that ran out (and may have been taken over), was given back or finished is
 * left alone: only the owner's, still running, are renewed. How many were.
 */
export async function renewCardLeases(
  db: Database,
  owner: string,
  ticketIds: number[],
  until: Date,
): Promise<number> {
  if (ticketIds.length === 0) return 0;
  const { affectedRows } = await sqlWriteOnce(
    db,
    `UPDATE slack_cards SET lease_until = ?
     WHERE ticket_id IN (${ticketIds.map(() => '?').join(', ')}) AND lease_owner = ? AND lease_until > ?`,
    [until, ...ticketIds, owner, new Date()],
  );
  return affectedRows;
}

/** Tickets whose delivery is still owed and whose lease ran out, oldest lease first. */
export async function cardsToCatchUp(db: Database, limit: number): Promise<number[]> {
  const rows = await sqlReadOnce<{ ticketId: number }>(
    db,
    'SELECT ticket_id AS ticketId FROM slack_cards WHERE lease_until <= ? ORDER BY lease_until LIMIT ?',
    [new Date(), limit],
  );
  return rows.map((row) => Number(row.ticketId));
}
