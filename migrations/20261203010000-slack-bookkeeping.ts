import { DataTypes, type QueryInterface } from 'sequelize';

// Slack's bookkeeping leaves the tickets table for tables of its own, so the ticket rules read
// nothing about Slack:
// - slack_cards: where a ticket's card is (channel and message ts), the lease on delivering it,
//   and which of the two DMs that follow a new card have gone out (20261126180000,
//   20261202030000). One row per ticket that has (or is owed) a card.
// - slack_rating_prompts: where the rating DM of a closing is while it waits for an answer
//   (20261127000000), one row per ticket and closing (`resolution`).
// - tickets.slack_view_id and comments.slack_view_id become submission_key: the idempotency key
//   of whatever the ticket or comment was submitted from. Slack's are `slack-view:<view id>`, so
//   the keys stored so far get that prefix, and the column is wider to hold other kinds of key.
// Every row is copied across, then the old columns are dropped; down copies them back.

const SLACK_VIEW_PREFIX = 'slack-view:';

const CARD_COLUMNS = [
  ['slack_channel_id', 'channel_id'],
  ['slack_message_ts', 'message_ts'],
  ['card_lease_until', 'lease_until'],
  ['requester_told_at', 'requester_told_at'],
  ['technician_told_at', 'technician_told_at'],
] as const;

/** Each row belongs to its ticket, and goes when the ticket does. */
const TICKET_KEY = {
  type: DataTypes.INTEGER,
  primaryKey: true,
  allowNull: false,
  references: { model: 'tickets', key: 'id' },
  onDelete: 'CASCADE',
};

const SUBMITTED = [
  { table: 'tickets', index: 'tickets_slack_view', newIndex: 'tickets_submission_key' },
  { table: 'comments', index: 'comments_slack_view', newIndex: 'comments_submission_key' },
] as const;

export async function up(qi: QueryInterface): Promise<void> {
  const sql = (query: string) => qi.sequelize.query(query);
  await qi.createTable('slack_cards', {
    ticket_id: TICKET_KEY,
    // Before the card is posted: the channel it is meant for, no ts yet. Null channel: Slack
    // refused it and the ticket stays without a card.
    channel_id: { type: DataTypes.STRING(32), allowNull: true },
    message_ts: { type: DataTypes.STRING(32), allowNull: true },
    // While the card or its DMs are owed: until when the process delivering them holds the job.
    lease_until: { type: DataTypes.DATE, allowNull: true },
    requester_told_at: { type: DataTypes.DATE, allowNull: true },
    technician_told_at: { type: DataTypes.DATE, allowNull: true },
  });
  // A thread reply names its card by channel and ts; the catch-up finds the leases that ran out.
  await qi.addIndex('slack_cards', ['channel_id', 'message_ts'], {
    name: 'slack_cards_location',
    unique: true,
  });
  await qi.addIndex('slack_cards', ['lease_until'], { name: 'slack_cards_lease' });
  await sql(
    `INSERT INTO slack_cards (ticket_id, ${CARD_COLUMNS.map(([, to]) => to).join(', ')})
     SELECT id, ${CARD_COLUMNS.map(([from]) => from).join(', ')} FROM tickets
     WHERE ${CARD_COLUMNS.map(([from]) => `${from} IS NOT NULL`).join(' OR ')}`,
  );

  await qi.createTable('slack_rating_prompts', {
    ticket_id: TICKET_KEY,
    resolution: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    channel_id: { type: DataTypes.STRING(32), allowNull: false },
    message_ts: { type: DataTypes.STRING(32), allowNull: false },
  });
  // A prompt was recorded only while its ticket was closed at that resolution, and a reopening
  // leaves the resolution as it is: the ticket's resolution is the prompt's.
  await sql(
    `INSERT INTO slack_rating_prompts (ticket_id, resolution, channel_id, message_ts)
     SELECT id, resolution, rating_prompt_channel_id, rating_prompt_ts FROM tickets
     WHERE rating_prompt_channel_id IS NOT NULL AND rating_prompt_ts IS NOT NULL`,
  );

  // An index goes before its columns: SQLite's DROP COLUMN refuses an indexed column.
  await qi.removeIndex('tickets', 'tickets_slack_card');
  await qi.removeIndex('tickets', 'tickets_card_lease');
  // Plain ALTER TABLE … DROP COLUMN in place (SQLite ≥ 3.35, MySQL, MariaDB): Sequelize's SQLite
  // removeColumn rebuilds the table and would drop its indexes and, with foreign keys on, rows.
  for (const column of [
    ...CARD_COLUMNS.map(([from]) => from),
    'rating_prompt_channel_id',
    'rating_prompt_ts',
  ]) {
    await sql(`ALTER TABLE tickets DROP COLUMN ${column}`);
  }

  const prefixed =
    qi.sequelize.getDialect() === 'mysql'
      ? `CONCAT('${SLACK_VIEW_PREFIX}', submission_key)`
      : `'${SLACK_VIEW_PREFIX}' || submission_key`;
  for (const { table, index, newIndex } of SUBMITTED) {
    await qi.removeIndex(table, index);
    await renameColumn(qi, table, 'slack_view_id', 'submission_key', 'VARCHAR(64)');
    await sql(`UPDATE ${table} SET submission_key = ${prefixed} WHERE submission_key IS NOT NULL`);
    await qi.addIndex(table, ['submission_key'], { name: newIndex, unique: true });
  }
}

export async function down(qi: QueryInterface): Promise<void> {
  const sql = (query: string) => qi.sequelize.query(query);
  for (const { table, index, newIndex } of SUBMITTED) {
    await qi.removeIndex(table, newIndex);
    // A key that is not a Slack view's has no place in slack_view_id.
    await sql(
      `UPDATE ${table} SET submission_key = CASE WHEN submission_key LIKE '${SLACK_VIEW_PREFIX}%'
       THEN SUBSTR(submission_key, ${SLACK_VIEW_PREFIX.length + 1}) END WHERE submission_key IS NOT NULL`,
    );
    await renameColumn(qi, table, 'submission_key', 'slack_view_id', 'VARCHAR(32)');
    await qi.addIndex(table, ['slack_view_id'], { name: index, unique: true });
  }

  for (const [column] of CARD_COLUMNS) {
    const type = column.endsWith('_at') || column.endsWith('_until') ? DataTypes.DATE : DataTypes.STRING(32);
    await qi.addColumn('tickets', column, { type, allowNull: true });
  }
  for (const column of ['rating_prompt_channel_id', 'rating_prompt_ts']) {
    await qi.addColumn('tickets', column, { type: DataTypes.STRING(32), allowNull: true });
  }
  const fromCard = (from: string) => `(SELECT c.${from} FROM slack_cards c WHERE c.ticket_id = tickets.id)`;
  await sql(
    `UPDATE tickets SET ${CARD_COLUMNS.map(([column, from]) => `${column} = ${fromCard(from)}`).join(', ')}
     WHERE id IN (SELECT ticket_id FROM slack_cards)`,
  );
  // The tickets table held one prompt per ticket: the latest closing's.
  const fromPrompt = (from: string) =>
    `(SELECT p.${from} FROM slack_rating_prompts p WHERE p.ticket_id = tickets.id
      ORDER BY p.resolution DESC LIMIT 1)`;
  await sql(
    `UPDATE tickets SET rating_prompt_channel_id = ${fromPrompt('channel_id')},
       rating_prompt_ts = ${fromPrompt('message_ts')}
     WHERE id IN (SELECT ticket_id FROM slack_rating_prompts)`,
  );
  await qi.addIndex('tickets', ['slack_channel_id', 'slack_message_ts'], {
    name: 'tickets_slack_card',
    unique: true,
  });
  await qi.addIndex('tickets', ['card_lease_until'], { name: 'tickets_card_lease' });
  await qi.dropTable('slack_rating_prompts');
  await qi.dropTable('slack_cards');
}

/**
 * Renames a column in place, keeping its data and indexes. MySQL and MariaDB take the new type
 * with the name (CHANGE; the column keeps the table's character set, as it was created with);
 * SQLite's RENAME COLUMN (3.25+) needs none, its VARCHAR lengths are not enforced.
 */
async function renameColumn(
  qi: QueryInterface,
  table: string,
  from: string,
  to: string,
  mysqlType: string,
): Promise<void> {
  if (qi.sequelize.getDialect() === 'mysql') {
    await qi.sequelize.query(`ALTER TABLE ${table} CHANGE ${from} ${to} ${mysqlType} NULL`);
  } else {
    await qi.sequelize.query(`ALTER TABLE ${table} RENAME COLUMN ${from} TO ${to}`);
  }
}
