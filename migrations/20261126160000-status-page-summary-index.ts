import type { QueryInterface } from 'sequelize';

// The status page's "open load per technician" counts open and in-progress tickets by
// technician: with (status, technician_id) that is read from the index alone, without
// visiting thousands of rows.

export async function up(qi: QueryInterface): Promise<void> {
  await qi.addIndex('tickets', ['status', 'technician_id'], { name: 'tickets_status_technician' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeIndex('tickets', 'tickets_status_technician');
}
