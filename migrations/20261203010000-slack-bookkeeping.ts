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

const PROMPT_COLUMNS = ['rating_prompt_channel_id', 'rating_prompt_ts'];

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

  const prefixed =
    qi.sequelize.getDialect() === 'mysql'
      ? `CONCAT('${SLACK_VIEW_PREFIX}', submission_key)`
      : `'${SLACK_VIEW_PREFIX}' || submission_key`;
  // The indexes go before their columns: SQLite's DROP COLUMN refuses an indexed column.
  const [tickets, comments] = keyColumnChanges('submission_key');
  await alterTable(qi, 'tickets', [
    dropIndex('tickets_slack_card'),
    dropIndex('tickets_card_lease'),
    ...[...CARD_COLUMNS.map(([from]) => from), ...PROMPT_COLUMNS].map(dropColumn),
    ...tickets,
  ]);
  await alterTable(qi, 'comments', comments);
  for (const { table } of SUBMITTED) {
    await sql(`UPDATE ${table} SET submission_key = ${prefixed} WHERE submission_key IS NOT NULL`);
  }
}

export async function down(qi: QueryInterface): Promise<void> {
  const sql = (query: string) => qi.sequelize.query(query);
  for (const { table } of SUBMITTED) {
    // A key that is not a Slack view's has no place in slack_view_id (and would not fit in it).
    await sql(
      `UPDATE ${table} SET submission_key = CASE WHEN submission_key LIKE '${SLACK_VIEW_PREFIX}%'
       THEN SUBSTR(submission_key, ${SLACK_VIEW_PREFIX.length + 1}) END WHERE submission_key IS NOT NULL`,
    );
  }
  const [tickets, comments] = keyColumnChanges('slack_view_id');
  await alterTable(qi, 'comments', comments);
  await alterTable(qi, 'tickets', [
    ...tickets,
    ...CARD_COLUMNS.map(([column]) =>
      addColumn(column, column.endsWith('_at') || column.endsWith('_until') ? 'DATETIME' : 'VARCHAR(32)'),
    ),
    ...PROMPT_COLUMNS.map((column) => addColumn(column, 'VARCHAR(32)')),
    addIndex('tickets_slack_card', ['slack_channel_id', 'slack_message_ts'], { unique: true }),
    addIndex('tickets_card_lease', ['card_lease_until']),
  ]);
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
  await qi.dropTable('slack_rating_prompts');
  await qi.dropTable('slack_cards');
}

// One change to a table's columns or indexes, as MySQL writes it inside ALTER TABLE and as
// SQLite writes it as a statement of its own (its ALTER TABLE takes one change at a time).
// Everything is done in place: Sequelize's SQLite removeColumn and changeColumn rebuild the
// table, which loses its indexes and, with foreign keys on, cascades to comments, ratings and
// events. On MySQL all of a table's changes go in one ALTER TABLE: one pass over the table.
interface TableChange {
  mysql: string;
  sqlite: (table: string) => string;
}

const dropIndex = (name: string): TableChange => ({
  mysql: `DROP INDEX ${name}`,
  sqlite: () => `DROP INDEX ${name}`,
});

const addIndex = (name: string, columns: string[], options: { unique?: boolean } = {}): TableChange => {
  const kind = options.unique ? 'UNIQUE INDEX' : 'INDEX';
  return {
    mysql: `ADD ${kind} ${name} (${columns.join(', ')})`,
    sqlite: (table) => `CREATE ${kind} ${name} ON ${table} (${columns.join(', ')})`,
  };
};

// ALTER TABLE … DROP COLUMN works in place on MySQL, MariaDB and SQLite 3.35+.
const dropColumn = (column: string): TableChange => ({
  mysql: `DROP COLUMN ${column}`,
  sqlite: (table) => `ALTER TABLE ${table} DROP COLUMN ${column}`,
});

// The types Sequelize gave these columns: DATE is DATETIME on both, STRING(32) VARCHAR(32). A
// MySQL column added or changed without a character set takes the table's, as it was created.
const addColumn = (column: string, type: string): TableChange => ({
  mysql: `ADD COLUMN ${column} ${type} NULL`,
  sqlite: (table) => `ALTER TABLE ${table} ADD COLUMN ${column} ${type}`,
});

// SQLite's RENAME COLUMN (3.25+) keeps the column's data and indexes and needs no type (it does
// not enforce VARCHAR lengths); MySQL's CHANGE renames and retypes at once.
const renameColumn = (from: string, to: string, type: string): TableChange => ({
  mysql: `CHANGE ${from} ${to} ${type} NULL`,
  sqlite: (table) => `ALTER TABLE ${table} RENAME COLUMN ${from} TO ${to}`,
});

/** slack_view_id becomes submission_key (64 characters), or back (32), with its unique index: tickets', comments'. */
function keyColumnChanges(to: 'submission_key' | 'slack_view_id'): [TableChange[], TableChange[]] {
  const up = to === 'submission_key';
  return SUBMITTED.map(({ index, newIndex }) => [
    dropIndex(up ? index : newIndex),
    renameColumn(up ? 'slack_view_id' : 'submission_key', to, up ? 'VARCHAR(64)' : 'VARCHAR(32)'),
    addIndex(up ? newIndex : index, [to], { unique: true }),
  ]) as [TableChange[], TableChange[]];
}

async function alterTable(qi: QueryInterface, table: string, changes: TableChange[]): Promise<void> {
  if (qi.sequelize.getDialect() === 'mysql') {
    await qi.sequelize.query(`ALTER TABLE ${table} ${changes.map((change) => change.mysql).join(', ')}`);
    return;
  }
  for (const change of changes) await qi.sequelize.query(change.sqlite(table));
}
