import { DataTypes, type QueryInterface } from 'sequelize';

// slack_inbox: every click and event ticketbot acknowledges to Slack is written here first (one
// short insert before the ack) and applied from here. Slack does not send an acknowledged
// interaction again, and resends an event only when it was not acknowledged
// (https://docs.slack.dev/apis/events-api/#retries), so a request kept only in memory after its
// ack is lost for good when the process dies. A row is held by one process at a time
// (claimed_by, claim_until, renewed by that process's heartbeat) and marked applied_at once done.
export async function up(qi: QueryInterface): Promise<void> {
  const mysql = qi.sequelize.getDialect() === 'mysql';
  await qi.createTable('slack_inbox', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true, allowNull: false },
    // Slack's own id of the delivery (an event's event_id, an interaction's trigger_id): a
    // request delivered twice is recorded once.
    delivery_key: { type: DataTypes.STRING(191), allowNull: false, unique: true },
    kind: { type: DataTypes.STRING(32), allowNull: false },
    // What is needed to apply it later, as JSON: a message event may carry 40,000 characters of
    // text, more than MySQL's TEXT holds in 4-byte UTF-8 (MEDIUMTEXT there; TEXT on SQLite).
    payload: { type: mysql ? DataTypes.TEXT('medium') : DataTypes.TEXT, allowNull: false },
    received_at: { type: DataTypes.DATE, allowNull: false },
    claimed_by: { type: DataTypes.STRING(96), allowNull: true },
    claim_until: { type: DataTypes.DATE, allowNull: true },
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    applied_at: { type: DataTypes.DATE, allowNull: true },
    // Given up after too many failed attempts: the reason, for the logs and the status page.
    failed_reason: { type: DataTypes.STRING(255), allowNull: true },
  });
  // The catch-up looks for rows not applied whose claim ran out; retention for old applied rows.
  await qi.addIndex('slack_inbox', ['applied_at', 'claim_until'], { name: 'slack_inbox_waiting' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('slack_inbox');
}
