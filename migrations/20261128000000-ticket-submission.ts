import { DataTypes, type QueryInterface } from 'sequelize';

// The Slack modal (view id) a ticket was submitted from. Slack keeps a modal's id when the same
// modal is submitted again (after an error or a slow answer, the person presses Submit once
// more); the unique index makes that second submission find the first ticket instead of opening
// a duplicate. Null for tickets not made from a modal.

export async function up(qi: QueryInterface): Promise<void> {
  await qi.addColumn('tickets', 'slack_view_id', { type: DataTypes.STRING(32), allowNull: true });
  await qi.addIndex('tickets', ['slack_view_id'], { name: 'tickets_slack_view', unique: true });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeIndex('tickets', 'tickets_slack_view');
  // Plain ALTER TABLE … DROP COLUMN: Sequelize's SQLite removeColumn rebuilds the table and would
  // drop its other indexes (and, with foreign keys on, the rows that refer to it).
  await qi.sequelize.query('ALTER TABLE tickets DROP COLUMN slack_view_id');
}
