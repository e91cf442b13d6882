import { DataTypes, type QueryInterface, QueryTypes } from 'sequelize';

// Comments are kept whole and follow their Slack message in order.
//
// - A thread reply may be 40,000 characters (Slack truncates message text past that:
//   https://api.slack.com/changelog/2018-04-truncating-really-long-messages). MySQL's TEXT holds
//   65,535 bytes, which 40,000 characters of 4-byte UTF-8 (emoji) overflow; MEDIUMTEXT holds
//   16 MB. The email outbox carries the comment in its data, so it widens too. SQLite's TEXT has
//   no such limit and stays as it is.
// - slack_version_ts: when the version of the Slack message that the comment's text is was
//   written (its `edited.ts`; null: as first posted). An older version, delivered late after a
//   newer one, changes nothing.
// - slack_view_id: the "Add comment" modal a comment was submitted from. Slack keeps a modal's id
//   when it is submitted again; the unique index makes the repeat add nothing.

const WIDENED = [
  { table: 'comments', column: 'body' },
  { table: 'email_outbox', column: 'data' },
];

async function setTextType(qi: QueryInterface, type: 'MEDIUMTEXT' | 'TEXT'): Promise<void> {
  if (qi.sequelize.getDialect() !== 'mysql') return;
  for (const { table, column } of WIDENED) {
    // MODIFY would otherwise give the column the table's default character set.
    const [found] = await qi.sequelize.query<{ charset: string; collation: string }>(
      `SELECT CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`,
      { replacements: [table, column], type: QueryTypes.SELECT },
    );
    const charset = /^\w+$/.test(found?.charset ?? '') ? found!.charset : 'utf8mb4';
    const collation = /^\w+$/.test(found?.collation ?? '') ? found!.collation : 'utf8mb4_unicode_ci';
    // Going down, MySQL refuses (strict mode) a row longer than TEXT holds rather than cutting it.
    await qi.sequelize.query(
      `ALTER TABLE ${table} MODIFY ${column} ${type} CHARACTER SET ${charset} COLLATE ${collation} NOT NULL`,
    );
  }
}

export async function up(qi: QueryInterface): Promise<void> {
  await setTextType(qi, 'MEDIUMTEXT');
  await qi.addColumn('comments', 'slack_version_ts', { type: DataTypes.STRING(32), allowNull: true });
  await qi.addColumn('comments', 'slack_view_id', { type: DataTypes.STRING(32), allowNull: true });
  await qi.addIndex('comments', ['slack_view_id'], { name: 'comments_slack_view', unique: true });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeIndex('comments', 'comments_slack_view');
  // Plain ALTER TABLE … DROP COLUMN: Sequelize's SQLite removeColumn rebuilds the table and would
  // drop its other indexes with it.
  await qi.sequelize.query('ALTER TABLE comments DROP COLUMN slack_view_id');
  await qi.sequelize.query('ALTER TABLE comments DROP COLUMN slack_version_ts');
  await setTextType(qi, 'TEXT');
}
