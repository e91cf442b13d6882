import { DataTypes, type QueryInterface } from 'sequelize';

// slack_dm_channels: the DM channel of each person the bot has written to, as conversations.open
// answered it (a Tier 3 method, about 50 calls a minute: https://api.slack.com/docs/rate-limits).
// Remembered here, not per process, so each person's channel is opened once for every replica and
// restart (src/slack/store/dmChannels.ts).

export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable('slack_dm_channels', {
    user_id: { type: DataTypes.STRING(32), primaryKey: true, allowNull: false },
    channel_id: { type: DataTypes.STRING(32), allowNull: false },
    opened_at: { type: DataTypes.DATE, allowNull: false },
  });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('slack_dm_channels');
}
