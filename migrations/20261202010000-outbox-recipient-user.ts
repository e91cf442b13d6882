import { DataTypes, type QueryInterface, type Transaction } from 'sequelize';

// An email to a Slack user names the person (recipient_user_id); their address is looked up when
// the email is sent, and written into `recipient` then. So `recipient` may be empty until then.
// Bare addresses (MANAGER_EMAILS) keep `recipient` and no user. Rows queued before this
// migration keep their address and are sent as they were.
//
// A row can also end `skipped` (Slack has no address for the person): `status` is a plain
// string, so that needs no schema change.

export async function up(qi: QueryInterface): Promise<void> {
  if (qi.sequelize.getDialect() === 'sqlite') {
    await rebuildOnSqlite(qi, { recipientNullable: true, withUser: true });
    return;
  }
  await qi.sequelize.query(
    'ALTER TABLE email_outbox MODIFY recipient VARCHAR(320) NULL, ADD COLUMN recipient_user_id VARCHAR(32) NULL AFTER recipient',
  );
}

export async function down(qi: QueryInterface): Promise<void> {
  // The older schema knows neither unresolved rows nor `skipped`: an address still unknown is
  // taken from the person's profile if it is there; what cannot be sent is kept as dead.
  await qi.sequelize.query(
    `UPDATE email_outbox SET recipient = (SELECT users.email FROM users WHERE users.id = email_outbox.recipient_user_id)
      WHERE recipient IS NULL`,
  );
  await qi.sequelize.query(
    `UPDATE email_outbox SET status = 'dead', recipient = COALESCE(recipient, ''),
            last_error = COALESCE(last_error, 'no email address for this person')
      WHERE status = 'skipped' OR recipient IS NULL`,
  );
  if (qi.sequelize.getDialect() === 'sqlite') {
    await rebuildOnSqlite(qi, { recipientNullable: false, withUser: false });
    return;
  }
  await qi.sequelize.query(
    'ALTER TABLE email_outbox DROP COLUMN recipient_user_id, MODIFY recipient VARCHAR(320) NOT NULL',
  );
}

/**
 * SQLite cannot change a column's NOT NULL in place: the table is rebuilt in one transaction
 * (new table, rows copied, old one dropped, new one renamed, indexes made again), the way
 * SQLite's documentation describes for ALTER TABLE it does not have. Not qi.changeColumn:
 * Sequelize's version loses the indexes. No other table refers to email_outbox, so dropping it
 * with foreign keys on touches nothing else.
 */
async function rebuildOnSqlite(
  qi: QueryInterface,
  shape: { recipientNullable: boolean; withUser: boolean },
): Promise<void> {
  const columns = {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    ticket_id: {
      type: DataTypes.INTEGER,
      allowNull: true,
      references: { model: 'tickets', key: 'id' },
      onDelete: 'SET NULL',
    },
    recipient: { type: DataTypes.STRING(320), allowNull: shape.recipientNullable },
    ...(shape.withUser ? { recipient_user_id: { type: DataTypes.STRING(32), allowNull: true } } : {}),
    template: { type: DataTypes.STRING(64), allowNull: false },
    data: { type: DataTypes.TEXT, allowNull: false },
    locale: { type: DataTypes.STRING(16), allowNull: true },
    status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    available_at: { type: DataTypes.DATE, allowNull: false },
    lease_owner: { type: DataTypes.STRING(64), allowNull: true },
    lease_expires_at: { type: DataTypes.DATE, allowNull: true },
    last_error: { type: DataTypes.STRING(1000), allowNull: true },
    last_smtp_code: { type: DataTypes.INTEGER, allowNull: true },
    message_id: { type: DataTypes.STRING(255), allowNull: true },
    idempotency_key: { type: DataTypes.STRING(191), allowNull: false },
    sent_at: { type: DataTypes.DATE, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  };
  // The columns both shapes have, copied by name.
  const copied = Object.keys(columns)
    .filter((name) => name !== 'recipient_user_id')
    .join(', ');
  await qi.sequelize.transaction(async (transaction: Transaction) => {
    const options = { transaction };
    await qi.createTable('email_outbox_rebuilt', columns, options);
    await qi.sequelize.query(
      `INSERT INTO email_outbox_rebuilt (${copied}) SELECT ${copied} FROM email_outbox`,
      options,
    );
    await qi.dropTable('email_outbox', options);
    await qi.renameTable('email_outbox_rebuilt', 'email_outbox', options);
    await qi.addIndex('email_outbox', ['idempotency_key'], {
      name: 'email_outbox_idempotency',
      unique: true,
      ...options,
    });
    await qi.addIndex('email_outbox', ['status', 'available_at'], { name: 'email_outbox_due', ...options });
    await qi.addIndex('email_outbox', ['ticket_id'], { name: 'email_outbox_ticket', ...options });
  });
}
