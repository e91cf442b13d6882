import { DataTypes, type QueryInterface } from 'sequelize';

// The first schema. Column names are snake_case; the models map them to camelCase.

const timestamps = {
  created_at: { type: DataTypes.DATE, allowNull: false },
  updated_at: { type: DataTypes.DATE, allowNull: false },
};

const userRef = { model: 'users', key: 'id' };

export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable('users', {
    id: { type: DataTypes.STRING(32), primaryKey: true },
    team_id: { type: DataTypes.STRING(32), allowNull: true },
    name: { type: DataTypes.STRING(255), allowNull: true },
    real_name: { type: DataTypes.STRING(255), allowNull: true },
    email: { type: DataTypes.STRING(320), allowNull: true },
    locale: { type: DataTypes.STRING(16), allowNull: true },
    tz: { type: DataTypes.STRING(64), allowNull: true },
    is_bot: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    is_technician: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    is_admin: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    profile_refreshed_at: { type: DataTypes.DATE, allowNull: true },
    ...timestamps,
  });
  await qi.addIndex('users', ['is_technician'], { name: 'users_is_technician' });

  await qi.createTable('tickets', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    title: { type: DataTypes.STRING(150), allowNull: false },
    description: { type: DataTypes.TEXT, allowNull: false },
    priority: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'normal' },
    status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'open' },
    requester_id: { type: DataTypes.STRING(32), allowNull: false, references: userRef },
    technician_id: { type: DataTypes.STRING(32), allowNull: true, references: userRef },
    slack_channel_id: { type: DataTypes.STRING(32), allowNull: true },
    slack_message_ts: { type: DataTypes.STRING(32), allowNull: true },
    source_channel_id: { type: DataTypes.STRING(32), allowNull: true },
    source_message_ts: { type: DataTypes.STRING(32), allowNull: true },
    source_permalink: { type: DataTypes.STRING(500), allowNull: true },
    version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
    resolution: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    last_activity_at: { type: DataTypes.DATE, allowNull: false },
    closed_at: { type: DataTypes.DATE, allowNull: true },
    ...timestamps,
  });
  // The status page filters by status/priority/technician/requester and sorts by recency;
  // the digest reads by creation and closing time.
  await qi.addIndex('tickets', ['status', 'priority', 'id'], { name: 'tickets_status_priority' });
  await qi.addIndex('tickets', ['technician_id', 'status'], { name: 'tickets_technician_status' });
  await qi.addIndex('tickets', ['requester_id', 'status'], { name: 'tickets_requester_status' });
  await qi.addIndex('tickets', ['last_activity_at'], { name: 'tickets_last_activity' });
  await qi.addIndex('tickets', ['created_at'], { name: 'tickets_created_at' });
  await qi.addIndex('tickets', ['closed_at'], { name: 'tickets_closed_at' });
  await qi.addIndex('tickets', ['title'], { name: 'tickets_title' });
  await qi.addIndex('tickets', ['slack_channel_id', 'slack_message_ts'], {
    name: 'tickets_slack_card',
    unique: true,
  });

  await qi.createTable('comments', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    ticket_id: {
      type: DataTypes.INTEGER,
      allowNull: false,
      references: { model: 'tickets', key: 'id' },
      onDelete: 'CASCADE',
    },
    author_id: { type: DataTypes.STRING(32), allowNull: false, references: userRef },
    body: { type: DataTypes.TEXT, allowNull: false },
    slack_ts: { type: DataTypes.STRING(32), allowNull: true },
    edited_at: { type: DataTypes.DATE, allowNull: true },
    deleted_at: { type: DataTypes.DATE, allowNull: true },
    ...timestamps,
  });
  await qi.addIndex('comments', ['ticket_id', 'created_at'], { name: 'comments_ticket' });
  // Slack retries an event it thinks we missed: the same message must not become two comments.
  await qi.addIndex('comments', ['ticket_id', 'slack_ts'], {
    name: 'comments_ticket_slack_ts',
    unique: true,
  });

  await qi.createTable('ratings', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    ticket_id: {
      type: DataTypes.INTEGER,
      allowNull: false,
      references: { model: 'tickets', key: 'id' },
      onDelete: 'CASCADE',
    },
    resolution: { type: DataTypes.INTEGER, allowNull: false },
    requester_id: { type: DataTypes.STRING(32), allowNull: false, references: userRef },
    technician_id: { type: DataTypes.STRING(32), allowNull: false, references: userRef },
    score: { type: DataTypes.TINYINT, allowNull: false },
    remark: { type: DataTypes.STRING(1000), allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('ratings', ['ticket_id', 'resolution'], {
    name: 'ratings_once_per_resolution',
    unique: true,
  });
  await qi.addIndex('ratings', ['technician_id', 'created_at'], { name: 'ratings_technician' });

  await qi.createTable('ticket_events', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    ticket_id: {
      type: DataTypes.INTEGER,
      allowNull: false,
      references: { model: 'tickets', key: 'id' },
      onDelete: 'CASCADE',
    },
    actor_id: { type: DataTypes.STRING(32), allowNull: false },
    type: { type: DataTypes.STRING(32), allowNull: false },
    from_value: { type: DataTypes.STRING(255), allowNull: true },
    to_value: { type: DataTypes.STRING(255), allowNull: true },
    version: { type: DataTypes.INTEGER, allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('ticket_events', ['ticket_id', 'id'], { name: 'ticket_events_ticket' });
  await qi.addIndex('ticket_events', ['created_at', 'type'], { name: 'ticket_events_created' });

  await qi.createTable('email_outbox', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    ticket_id: {
      type: DataTypes.INTEGER,
      allowNull: true,
      references: { model: 'tickets', key: 'id' },
      onDelete: 'SET NULL',
    },
    recipient: { type: DataTypes.STRING(320), allowNull: false },
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
    ...timestamps,
  });
  await qi.addIndex('email_outbox', ['idempotency_key'], { name: 'email_outbox_idempotency', unique: true });
  // The drain claims "pending and due" (and expired leases) in order.
  await qi.addIndex('email_outbox', ['status', 'available_at'], { name: 'email_outbox_due' });
  await qi.addIndex('email_outbox', ['ticket_id'], { name: 'email_outbox_ticket' });

  await qi.createTable('job_runs', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    job: { type: DataTypes.STRING(64), allowNull: false },
    period: { type: DataTypes.STRING(64), allowNull: false },
    owner: { type: DataTypes.STRING(64), allowNull: true },
    finished_at: { type: DataTypes.DATE, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('job_runs', ['job', 'period'], { name: 'job_runs_once_per_period', unique: true });
}

export async function down(qi: QueryInterface): Promise<void> {
  for (const table of [
    'job_runs',
    'email_outbox',
    'ticket_events',
    'ratings',
    'comments',
    'tickets',
    'users',
  ]) {
    await qi.dropTable(table);
  }
}
