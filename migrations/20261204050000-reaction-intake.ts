import { DataTypes, type QueryInterface } from 'sequelize';

// slack_intake_messages: the Slack messages turned into tickets by a reaction (INTAKE_EMOJI), one
// row per message. It is written in the ticket's own transaction, so a message has one ticket
// however many people react or how often Slack delivers the event; `reply_ts` is set once
// ticketbot has answered in the message's thread (the ticket's number and link), so that answer is
// owed until it is sent and sent once; `replying_until` is held by the one attempt sending it
// (a second reaction, or another replica, leaves it to that attempt unless its hold runs out).
export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable('slack_intake_messages', {
    channel_id: { type: DataTypes.STRING(32), primaryKey: true, allowNull: false },
    message_ts: { type: DataTypes.STRING(32), primaryKey: true, allowNull: false },
    ticket_id: {
      type: DataTypes.INTEGER,
      allowNull: false,
      references: { model: 'tickets', key: 'id' },
      onDelete: 'CASCADE',
    },
    reacted_by: { type: DataTypes.STRING(32), allowNull: false },
    reply_ts: { type: DataTypes.STRING(32), allowNull: true },
    replying_until: { type: DataTypes.DATE, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('slack_intake_messages', ['ticket_id'], { name: 'slack_intake_messages_ticket' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('slack_intake_messages');
}
