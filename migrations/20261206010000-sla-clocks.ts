import { DataTypes, type QueryInterface } from 'sequelize';

// Service-level clocks on tickets (issue 15, src/tickets/sla.ts):
// - first_response_at: the first comment or status change by a technician or admin who is not
//   the requester;
// - per target (response, resolution): when it is due, when its 75 % warning falls, and when it
//   was met or missed (at most one of the two);
// - sla_resolution_used_seconds: business time the resolution clock ran before the ticket was
//   last closed; sla_resolution_started_at: when the running stretch began (creation or the last
//   reopen), null while closed. A reopen restarts the clock from where it stood.
// Tickets from before this migration, or opened with SLA_ENABLED=false, have no due times.
const COLUMNS = [
  'first_response_at',
  'sla_response_due_at',
  'sla_response_warn_at',
  'sla_response_met_at',
  'sla_response_missed_at',
  'sla_resolution_due_at',
  'sla_resolution_warn_at',
  'sla_resolution_met_at',
  'sla_resolution_missed_at',
  'sla_resolution_started_at',
];

export async function up(qi: QueryInterface): Promise<void> {
  for (const column of COLUMNS) {
    await qi.addColumn('tickets', column, { type: DataTypes.DATE, allowNull: true });
  }
  await qi.addColumn('tickets', 'sla_resolution_used_seconds', {
    type: DataTypes.INTEGER,
    allowNull: false,
    defaultValue: 0,
  });
  // What the SLA job looks for: open tickets whose warning time has come.
  await qi.addIndex('tickets', ['sla_response_warn_at'], { name: 'tickets_sla_response_warn' });
  await qi.addIndex('tickets', ['sla_resolution_warn_at'], { name: 'tickets_sla_resolution_warn' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeIndex('tickets', 'tickets_sla_resolution_warn');
  await qi.removeIndex('tickets', 'tickets_sla_response_warn');
  // ALTER TABLE … DROP COLUMN in place (SQLite ≥ 3.35, MySQL, MariaDB), as 20261204060000 does.
  await qi.sequelize.query('ALTER TABLE tickets DROP COLUMN sla_resolution_used_seconds');
  for (const column of [...COLUMNS].reverse()) {
    await qi.sequelize.query(`ALTER TABLE tickets DROP COLUMN ${column}`);
  }
}
