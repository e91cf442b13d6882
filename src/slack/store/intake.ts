import type { Transaction } from 'sequelize';
import type { Database } from '../../db/index.js';
import { sqlReadOnce, sqlWrite, sqlWriteOnce } from '../../db/sql.js';

// The Slack messages turned into tickets by a reaction (slack_intake_messages): written with the
// ticket, so each message has one; `reply_ts` once the message's thread was told the ticket's
// number (migrations/20261204050000-reaction-intake.ts).

export interface IntakeRecord {
  ticketId: number;
  reactedBy: string;
  replyTs: string | null;
}

/** In the new ticket's transaction: this message is now that ticket's. */
export async function insertIntakeMessage(
  db: Database,
  transaction: Transaction,
  row: { channelId: string; messageTs: string; ticketId: number; reactedBy: string },
): Promise<void> {
  await sqlWrite(
    db,
    transaction,
    `INSERT INTO slack_intake_messages (channel_id, message_ts, ticket_id, reacted_by, reply_ts, created_at)
     VALUES (?, ?, ?, ?, NULL, ?)`,
    [row.channelId, row.messageTs, row.ticketId, row.reactedBy, new Date()],
  );
}

/** The ticket a message was turned into, if it was. */
export async function intakeOfMessage(
  db: Database,
  channelId: string,
  messageTs: string,
): Promise<IntakeRecord | null> {
  const [row] = await sqlReadOnce<IntakeRecord>(
    db,
    `SELECT ticket_id AS ticketId, reacted_by AS reactedBy, reply_ts AS replyTs
     FROM slack_intake_messages WHERE channel_id = ? AND message_ts = ?`,
    [channelId, messageTs],
  );
  return row ? { ...row, ticketId: Number(row.ticketId) } : null;
}

/**
 * Takes the sending of the thread's reply for `holdMs`: false when it is sent already, or another
 * attempt holds it (a second reaction, another replica).
 */
export async function holdIntakeReply(
  db: Database,
  channelId: string,
  messageTs: string,
  holdMs: number,
): Promise<boolean> {
  const now = new Date();
  const result = await sqlWriteOnce(
    db,
    `UPDATE slack_intake_messages SET replying_until = ?
     WHERE channel_id = ? AND message_ts = ? AND reply_ts IS NULL
       AND (replying_until IS NULL OR replying_until < ?)`,
    [new Date(now.getTime() + holdMs), channelId, messageTs, now],
  );
  return result.affectedRows === 1;
}

/** Gives the sending back (Slack failed): the next attempt takes it at once. */
export async function releaseIntakeReply(db: Database, channelId: string, messageTs: string): Promise<void> {
  await sqlWriteOnce(
    db,
    'UPDATE slack_intake_messages SET replying_until = NULL WHERE channel_id = ? AND message_ts = ? AND reply_ts IS NULL',
    [channelId, messageTs],
  );
}

/** The thread was told (its reply's ts), or `refused`: Slack will not take a reply there. */
export async function recordIntakeReply(
  db: Database,
  channelId: string,
  messageTs: string,
  replyTs: string,
): Promise<void> {
  await sqlWriteOnce(
    db,
    'UPDATE slack_intake_messages SET reply_ts = ?, replying_until = NULL WHERE channel_id = ? AND message_ts = ? AND reply_ts IS NULL',
    [replyTs, channelId, messageTs],
  );
}
