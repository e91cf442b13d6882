import type { QueryInterface } from 'sequelize';

// The reports page (src/reports/figures.ts) reads each period's first responses and settled
// targets as ranges: one index per moment it counts (created_at and closed_at have theirs).
const INDEXES: Array<[name: string, column: string]> = [
  ['tickets_first_response', 'first_response_at'],
  ['tickets_sla_response_met', 'sla_response_met_at'],
  ['tickets_sla_response_missed', 'sla_response_missed_at'],
  ['tickets_sla_resolution_met', 'sla_resolution_met_at'],
  ['tickets_sla_resolution_missed', 'sla_resolution_missed_at'],
];

export async function up(qi: QueryInterface): Promise<void> {
  for (const [name, column] of INDEXES) await qi.addIndex('tickets', [column], { name });
}

export async function down(qi: QueryInterface): Promise<void> {
  for (const [name] of [...INDEXES].reverse()) await qi.removeIndex('tickets', name);
}
