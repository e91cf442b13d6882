import { DataTypes, type QueryInterface } from 'sequelize';

// What several replicas need to share to show one picture in Slack:
// - slack_card_versions: the ticket version each card shows in Slack, and until when one process
//   holds the card's update. An update is sent only by the holder and only when the ticket is
//   newer than what the card shows, so a card never goes back in time whichever process renders
//   it. A hold that ran out (its process died, or Slack failed the update) marks a card the
//   catch-up brings up to date.
// - slack_home_views: who opened their App Home lately, so a change made through any replica
//   redraws it (not only through the replica that received the app_home_opened event).
// - slack_inbox.order_key: the ticket a click or thread event is about (`ticket:<id>`). The
//   catch-up applies one ticket's requests in the order they arrived, even across replicas: a
//   request waits while an older one for the same ticket is still held by another process.
export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable('slack_card_versions', {
    ticket_id: {
      type: DataTypes.INTEGER,
      primaryKey: true,
      allowNull: false,
      references: { model: 'tickets', key: 'id' },
      onDelete: 'CASCADE',
    },
    shown_version: { type: DataTypes.INTEGER, allowNull: true },
    updating_until: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.addIndex('slack_card_versions', ['updating_until'], { name: 'slack_card_versions_updating' });
  // The cards posted so far show their ticket's current version (each change updated them).
  await qi.sequelize.query(
    `INSERT INTO slack_card_versions (ticket_id, shown_version, updating_until)
     SELECT k.ticket_id, t.version, NULL FROM slack_cards k JOIN tickets t ON t.id = k.ticket_id
     WHERE k.message_ts IS NOT NULL`,
  );
  await qi.addColumn('slack_inbox', 'order_key', { type: DataTypes.STRING(64), allowNull: true });
  await qi.addIndex('slack_inbox', ['order_key', 'applied_at'], { name: 'slack_inbox_order' });
  await qi.createTable('slack_home_views', {
    user_id: { type: DataTypes.STRING(32), primaryKey: true, allowNull: false },
    opened_at: { type: DataTypes.DATE, allowNull: false },
  });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('slack_home_views');
  await qi.removeIndex('slack_inbox', 'slack_inbox_order');
  await qi.removeColumn('slack_inbox', 'order_key');
  await qi.dropTable('slack_card_versions');
}
