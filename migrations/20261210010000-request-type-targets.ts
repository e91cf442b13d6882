import { DataTypes, type QueryInterface } from 'sequelize';

// Per request type service-level targets (issue 15 §1): request_types.sla_targets, the JSON object
// of the type's own targets by priority as an admin wrote them ({"urgent": "30m/2h"}), read with
// src/tickets/sla.ts's typeTargetsOf. NULL (every type so far): the priorities' targets.
export async function up(qi: QueryInterface): Promise<void> {
  await qi.addColumn('request_types', 'sla_targets', { type: DataTypes.TEXT, allowNull: true });
}

export async function down(qi: QueryInterface): Promise<void> {
  // In place (SQLite ≥ 3.35, MySQL, MariaDB), as 20261204060000-request-types does: Sequelize's
  // SQLite removeColumn rebuilds the table and would drop its name index.
  await qi.sequelize.query('ALTER TABLE request_types DROP COLUMN sla_targets');
}
