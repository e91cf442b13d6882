import { DataTypes, type QueryInterface } from 'sequelize';

// slack_cards.lease_owner: the process holding a new ticket's delivery. The lease is short and
// renewed by its holder's heartbeat; naming the holder lets a heartbeat renew only what its own
// process holds, so a process that lost its lease (its heartbeat stalled) never extends the lease
// of the process that took the delivery over.
export async function up(qi: QueryInterface): Promise<void> {
  await qi.addColumn('slack_cards', 'lease_owner', { type: DataTypes.STRING(80), allowNull: true });
}

export async function down(qi: QueryInterface): Promise<void> {
  // Both dialects drop a column in place (SQLite since 3.35); Sequelize's removeColumn would copy
  // SQLite's table, which its unique index on the card's location does not survive.
  await qi.sequelize.query('ALTER TABLE slack_cards DROP COLUMN lease_owner');
}
