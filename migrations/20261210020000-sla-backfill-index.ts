import type { QueryInterface } from 'sequelize';

// The SLA job first looks for open tickets without service-level clocks (src/tickets/slaBackfill.ts),
// every run in every replica: status first (the open statuses as equalities), then the missing due
// time, so once every open ticket has its clocks the look-up reads nothing, however many closed
// tickets from before the clocks there are.
export async function up(qi: QueryInterface): Promise<void> {
  await qi.addIndex('tickets', ['status', 'sla_resolution_due_at', 'id'], { name: 'tickets_sla_backfill' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeIndex('tickets', 'tickets_sla_backfill');
}
