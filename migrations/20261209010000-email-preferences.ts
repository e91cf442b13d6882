import { DataTypes, type QueryInterface } from 'sequelize';

// Which emails each Slack user wants (issue 15 §5): one row per person and kind of email (a
// notification template, or 'digest'). No row means the email is on, as it always was.
export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable('email_preferences', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    user_id: { type: DataTypes.STRING(32), allowNull: false },
    kind: { type: DataTypes.STRING(64), allowNull: false },
    enabled: { type: DataTypes.BOOLEAN, allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('email_preferences', ['user_id', 'kind'], {
    name: 'email_preferences_user_kind',
    unique: true,
  });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('email_preferences');
}
