import { DataTypes, type QueryInterface } from 'sequelize';

// People signed in to the status page with Slack. Every replica reads the same rows, so a
// session started on one is known to all, and a sign-out (the row deleted) ends it on all of
// them at once. The key is a SHA-256 of the cookie's random value, never the value itself: a
// copy of this table lets nobody sign in. Expired rows are deleted at the next sign-in.

export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable('web_sessions', {
    id_hash: { type: DataTypes.CHAR(64), primaryKey: true, allowNull: false },
    user_id: { type: DataTypes.STRING(32), allowNull: false },
    team_id: { type: DataTypes.STRING(32), allowNull: false },
    // The name Slack gave at sign-in, shown until the roster has one.
    name: { type: DataTypes.STRING(255), allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    last_seen_at: { type: DataTypes.DATE, allowNull: false },
    expires_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('web_sessions', ['expires_at'], { name: 'web_sessions_expiry' });
  await qi.addIndex('web_sessions', ['user_id'], { name: 'web_sessions_user' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('web_sessions');
}
