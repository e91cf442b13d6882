import type { Database } from '../../db/index.js';
import { sqlRead, sqlReadOnce, sqlWrite, sqlWriteOnce } from '../../db/sql.js';
import { runInTransaction } from '../../db/transaction.js';
import type { MessageLocation } from './cards.js';

// Where each rating DM is while it waits for an answer, one per ticket and closing
// (slack_rating_prompts): Slack's own bookkeeping, so a DM that no longer applies (its ticket was
// reopened) can be edited in place. A prompt is forgotten once answered or replaced.

/** A rating DM still waiting, and the closing (`resolution`) it asks about. */
export interface RatingPromptRecord extends MessageLocation {
  resolution: number;
}

/** The ticket's rating DMs still waiting for an answer, oldest closing first. */
export async function ratingPromptsOf(db: Database, ticketId: number): Promise<RatingPromptRecord[]> {
  const rows = await sqlReadOnce<{ resolution: number; channel: string; ts: string }>(
    db,
    `SELECT resolution, channel_id AS channel, message_ts AS ts FROM slack_rating_prompts
     WHERE ticket_id = ? ORDER BY resolution`,
    [ticketId],
  );
  return rows.map((row) => ({ resolution: Number(row.resolution), channel: row.channel, ts: row.ts }));
}

/**
 * Remembers where the rating prompt for `resolution` was posted, only while the ticket is still
 * closed at that resolution: false means it moved on while the DM was being posted, and the
 * prompt already no longer applies. The ticket's row is locked while this is decided, as a
 * reopening locks it, so the reopening's own task either finds this prompt or this finds the
 * ticket reopened.
 */
export async function recordRatingPrompt(
  db: Database,
  ticketId: number,
  resolution: number,
  prompt: MessageLocation,
): Promise<boolean> {
  return runInTransaction(db, async (transaction) => {
    const [ticket] = await sqlRead<{ status: string; resolution: number }>(
      db,
      transaction,
      `SELECT status, resolution FROM tickets WHERE id = ?${db.dialect === 'mysql' ? ' FOR UPDATE' : ''}`,
      [ticketId],
    );
    if (ticket?.status !== 'closed' || Number(ticket.resolution) !== resolution) return false;
    await sqlWrite(
      db,
      transaction,
      'INSERT INTO slack_rating_prompts (ticket_id, resolution, channel_id, message_ts) VALUES (?, ?, ?, ?)',
      [ticketId, resolution, prompt.channel, prompt.ts],
    );
    return true;
  });
}

/** Forgets a rating prompt once it has been answered or replaced. */
export async function forgetRatingPrompt(
  db: Database,
  ticketId: number,
  prompt: MessageLocation,
): Promise<void> {
  await sqlWriteOnce(
    db,
    'DELETE FROM slack_rating_prompts WHERE ticket_id = ? AND channel_id = ? AND message_ts = ?',
    [ticketId, prompt.channel, prompt.ts],
  );
}
