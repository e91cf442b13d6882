import { DataTypes, type QueryInterface } from 'sequelize';

// A new ticket's card is posted after Slack has its acknowledgement. Until it is, the ticket
// carries the channel it is meant for (slack_channel_id, no slack_message_ts yet) and a lease:
// the process posting it holds the lease; when the lease runs out with no card (a crash, a Slack
// outage), any replica takes it over and posts the card then. The index finds those tickets
// without reading the others: the lease is cleared once the card is posted.

export async function up(qi: QueryInterface): Promise<void> {
  await qi.addColumn('tickets', 'card_lease_until', { type: DataTypes.DATE, allowNull: true });
  await qi.addIndex('tickets', ['card_lease_until'], { name: 'tickets_card_lease' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeIndex('tickets', 'tickets_card_lease');
  // Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35 has it): Sequelize's SQLite removeColumn
  // rebuilds the table and would drop its other indexes with it.
  await qi.sequelize.query('ALTER TABLE tickets DROP COLUMN card_lease_until');
}
