import { DataTypes, type QueryInterface } from 'sequelize';

// Where the requester's rating DM was posted, so it can be edited in place when it no longer
// applies (the ticket was reopened before it was answered). Null when no prompt is pending.

const COLUMNS = ['rating_prompt_channel_id', 'rating_prompt_ts'] as const;

export async function up(qi: QueryInterface): Promise<void> {
  for (const column of COLUMNS) {
    await qi.addColumn('tickets', column, { type: DataTypes.STRING(32), allowNull: true });
  }
}

export async function down(qi: QueryInterface): Promise<void> {
  // Not qi.removeColumn: on SQLite Sequelize rebuilds the table (drop and re-create), which loses
  // its indexes and, with foreign keys on, cascades the drop to comments, ratings and events.
  // ALTER TABLE … DROP COLUMN works in place on MySQL, MariaDB and SQLite 3.35+.
  for (const column of [...COLUMNS].reverse()) {
    await qi.sequelize.query(`ALTER TABLE tickets DROP COLUMN ${column}`);
  }
}
