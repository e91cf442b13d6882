import { DataTypes, type QueryInterface } from 'sequelize';

// The service-level warnings and breaches raised (src/tickets/slaAlerts.ts): one row per ticket,
// target (response, resolution) and kind (warning, breach). The unique index is the claim: the
// replica whose INSERT adds the row raises the alert, in the same transaction as its history
// event and the Slack and email work it owes, so each happens once across replicas and restarts.
export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable('sla_alerts', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    ticket_id: { type: DataTypes.INTEGER, allowNull: false },
    target: { type: DataTypes.STRING(16), allowNull: false },
    kind: { type: DataTypes.STRING(16), allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('sla_alerts', ['ticket_id', 'target', 'kind'], { name: 'sla_alerts_once', unique: true });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('sla_alerts');
}
