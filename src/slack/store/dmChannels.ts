import type { Database } from '../../db/index.js';
import { sqlReadOnce, sqlWriteOnce } from '../../db/sql.js';

// The DM channel of each person (slack_dm_channels), as conversations.open answered it: opened
// once for every replica, since conversations.open is a Tier 3 method (about 50 a minute,
// https://api.slack.com/docs/rate-limits) and a storm of new tickets DMs a hundred people.

export async function dmChannelOf(db: Database, userId: string): Promise<string | undefined> {
  const rows = await sqlReadOnce<{ channelId: string }>(
    db,
    'SELECT channel_id AS channelId FROM slack_dm_channels WHERE user_id = ?',
    [userId],
  );
  return rows[0]?.channelId;
}

/**
 * Remembers a person's DM channel. Two replicas may open it at once: Slack gives both the same
 * channel, so the one that comes second changes nothing.
 */
export async function rememberDmChannel(db: Database, userId: string, channelId: string): Promise<void> {
  const insert =
    db.dialect === 'mysql'
      ? 'INSERT IGNORE INTO slack_dm_channels (user_id, channel_id, opened_at) VALUES (?, ?, ?)'
      : 'INSERT OR IGNORE INTO slack_dm_channels (user_id, channel_id, opened_at) VALUES (?, ?, ?)';
  await sqlWriteOnce(db, insert, [userId, channelId, new Date()]);
}
