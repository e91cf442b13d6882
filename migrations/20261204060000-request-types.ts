import { DataTypes, type QueryInterface } from 'sequelize';

// Request types and routing (issue 14):
// - request_types: what admins define in the App Home. `fields` is the JSON list of up to five
//   extra fields ({id, label, kind: short|long|choice, required, options}); `technician_ids` the
//   JSON list of who handles the type; `assignment` none, round_robin or least_open; `last_assigned_id`
//   where round-robin stands; `is_default` the type a reaction or shortcut ticket gets.
// - tickets.request_type_id and tickets.request_fields (the JSON values the ticket got, with each
//   field's label as it was asked, so a later edit of the type does not change what was answered).
// - users.away_since: a technician who set themselves Away (auto-assignment passes them over).
export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable('request_types', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    name: { type: DataTypes.STRING(80), allowNull: false },
    description: { type: DataTypes.STRING(300), allowNull: false, defaultValue: '' },
    default_priority: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'normal' },
    technician_ids: { type: DataTypes.TEXT, allowNull: false },
    channel_id: { type: DataTypes.STRING(32), allowNull: true },
    is_private: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    is_default: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    assignment: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'none' },
    last_assigned_id: { type: DataTypes.STRING(32), allowNull: true },
    fields: { type: DataTypes.TEXT, allowNull: false },
    archived_at: { type: DataTypes.DATE, allowNull: true },
    version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('request_types', ['name'], { name: 'request_types_name', unique: true });
  // No foreign key: a type is archived, never deleted, and SQLite cannot drop a column that one
  // names (down below).
  await qi.addColumn('tickets', 'request_type_id', { type: DataTypes.INTEGER, allowNull: true });
  await qi.addColumn('tickets', 'request_fields', { type: DataTypes.TEXT, allowNull: true });
  await qi.addIndex('tickets', ['request_type_id', 'status'], { name: 'tickets_request_type' });
  await qi.addColumn('users', 'away_since', { type: DataTypes.DATE, allowNull: true });
}

export async function down(qi: QueryInterface): Promise<void> {
  // ALTER TABLE … DROP COLUMN in place (SQLite ≥ 3.35, MySQL, MariaDB): Sequelize's SQLite
  // removeColumn rebuilds the table and would drop its indexes and, with foreign keys on, rows.
  await qi.sequelize.query('ALTER TABLE users DROP COLUMN away_since');
  await qi.removeIndex('tickets', 'tickets_request_type');
  await qi.sequelize.query('ALTER TABLE tickets DROP COLUMN request_fields');
  await qi.sequelize.query('ALTER TABLE tickets DROP COLUMN request_type_id');
  await qi.dropTable('request_types');
}
