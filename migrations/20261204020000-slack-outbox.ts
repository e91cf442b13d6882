import { DataTypes, type QueryInterface } from 'sequelize';

// slack_outbox: what ticketbot owes Slack after a committed ticket change (the technician's DM on
// assignment, the rating DM on closing, its edit on reopening, a comment copied into the card's
// thread), written in the change's own transaction and carried out from here after the commit. A
// Slack outage, a hung call or a crash then delays the work instead of losing it. A row is held by
// one process at a time (claimed_by, claim_until, renewed by that process's heartbeat), tried again
// with a growing delay while Slack fails, and marked done_at once Slack took it.
export async function up(qi: QueryInterface): Promise<void> {
  const mysql = qi.sequelize.getDialect() === 'mysql';
  await qi.createTable('slack_outbox', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true, allowNull: false },
    // One ticket's work is carried out in the order it was written.
    ticket_id: { type: DataTypes.INTEGER, allowNull: false },
    kind: { type: DataTypes.STRING(32), allowNull: false },
    // What the work needs, as JSON: a comment copied into the thread holds up to 50,000
    // characters, more than MySQL's TEXT holds in 4-byte UTF-8 (MEDIUMTEXT there; TEXT on SQLite).
    payload: { type: mysql ? DataTypes.TEXT('medium') : DataTypes.TEXT, allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
    claimed_by: { type: DataTypes.STRING(96), allowNull: true },
    // Held until then (a claim), or not to be tried before then (a retry's delay).
    claim_until: { type: DataTypes.DATE, allowNull: false },
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    done_at: { type: DataTypes.DATE, allowNull: true },
    // Given up (a refusal Slack will keep giving, or a day of failures): the reason, for the logs.
    failed_reason: { type: DataTypes.STRING(255), allowNull: true },
  });
  await qi.addIndex('slack_outbox', ['done_at', 'claim_until'], { name: 'slack_outbox_waiting' });
  await qi.addIndex('slack_outbox', ['ticket_id', 'id'], { name: 'slack_outbox_ticket' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('slack_outbox');
}
