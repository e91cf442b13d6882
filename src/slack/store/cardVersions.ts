import type { Database } from '../../db/index.js';
import { sqlReadOnce, sqlWriteOnce } from '../../db/sql.js';
import { toDateOrNull } from '../../db/values.js';

// Which ticket version each card shows in Slack, and who is updating it (slack_card_versions,
// migrations/20261203060000-card-versions-and-homes.ts). One process updates a card at a time,
// and only to a newer version: a card never goes back in time, whichever replica renders it.

/**
 * Takes the card's update for `forMs`. False: another process holds it (and looks at the ticket
 * again once it is done, so the change that asked for this update is shown too).
 */
export async function takeCardUpdate(db: Database, ticketId: number, forMs: number): Promise<boolean> {
  const now = new Date();
  const ignore = db.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
  await sqlWriteOnce(
    db,
    `${ignore} INTO slack_card_versions (ticket_id, shown_version, updating_until) VALUES (?, NULL, NULL)`,
    [ticketId],
  );
  const taken = await sqlWriteOnce(
    db,
    `UPDATE slack_card_versions SET updating_until = ?
     WHERE ticket_id = ? AND (updating_until IS NULL OR updating_until < ?)`,
    [new Date(now.getTime() + forMs), ticketId, now],
  );
  return taken.affectedRows === 1;
}

/** Keeps holding the card's update (a Slack call still under way, a rate limit waited out). */
export async function renewCardUpdate(db: Database, ticketId: number, forMs: number): Promise<void> {
  await sqlWriteOnce(
    db,
    'UPDATE slack_card_versions SET updating_until = ? WHERE ticket_id = ? AND updating_until IS NOT NULL',
    [new Date(Date.now() + forMs), ticketId],
  );
}

/** The version the card shows in Slack (null: not known, as for a card never updated). */
export async function shownVersion(db: Database, ticketId: number): Promise<number | null> {
  const [row] = await sqlReadOnce<{ version: number | null }>(
    db,
    'SELECT shown_version AS version FROM slack_card_versions WHERE ticket_id = ?',
    [ticketId],
  );
  return row?.version === null || row?.version === undefined ? null : Number(row.version);
}

/** Slack shows `version` on the card now; the update is let go. */
export async function recordCardShown(db: Database, ticketId: number, version: number): Promise<void> {
  const ignore = db.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
  await sqlWriteOnce(
    db,
    `${ignore} INTO slack_card_versions (ticket_id, shown_version, updating_until) VALUES (?, NULL, NULL)`,
    [ticketId],
  );
  await sqlWriteOnce(
    db,
    `UPDATE slack_card_versions SET updating_until = NULL,
       shown_version = CASE WHEN shown_version IS NULL OR shown_version < ? THEN ? ELSE shown_version END
     WHERE ticket_id = ?`,
    [version, version, ticketId],
  );
}

/** Lets the update go without a newer version shown: `owed` leaves it for the catch-up. */
export async function releaseCardUpdate(db: Database, ticketId: number, owed: boolean): Promise<void> {
  await sqlWriteOnce(db, 'UPDATE slack_card_versions SET updating_until = ? WHERE ticket_id = ?', [
    owed ? new Date(0) : null,
    ticketId,
  ]);
}

/** Cards whose update was let go unfinished, or whose holder stopped (its hold ran out). */
export async function cardsOwedAnUpdate(db: Database, limit: number): Promise<number[]> {
  const rows = await sqlReadOnce<{ ticketId: number }>(
    db,
    `SELECT ticket_id AS ticketId FROM slack_card_versions
     WHERE updating_until IS NOT NULL AND updating_until < ? ORDER BY updating_until LIMIT ?`,
    [new Date(), limit],
  );
  return rows.map((row) => Number(row.ticketId));
}

/** Someone is looking at their App Home: changes through any replica redraw it. */
export async function recordHomeOpened(db: Database, userId: string, at: Date): Promise<void> {
  const upsert =
    db.dialect === 'sqlite'
      ? 'INSERT INTO slack_home_views (user_id, opened_at) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET opened_at = excluded.opened_at'
      : 'INSERT INTO slack_home_views (user_id, opened_at) VALUES (?, ?) ON DUPLICATE KEY UPDATE opened_at = VALUES(opened_at)';
  await sqlWriteOnce(db, upsert, [userId, at]);
}

/** When the person last opened their App Home, through any replica. */
export async function homeOpenedAt(db: Database, userId: string): Promise<Date | null> {
  const [row] = await sqlReadOnce<{ openedAt: unknown }>(
    db,
    'SELECT opened_at AS openedAt FROM slack_home_views WHERE user_id = ?',
    [userId],
  );
  return toDateOrNull(row?.openedAt);
}
