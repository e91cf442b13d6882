import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, databaseKinds } from '../support/db.js';
import { newTicket, ticketServices } from '../support/tickets.js';

// The database server drops ticketbot's connections (a restart, a failover, wait_timeout, KILL).

const mysqlKind = databaseKinds().find((kind) => kind.kind === 'mysql')!;

describe.skipIf(Boolean(mysqlKind.skipReason))('a database outage [mysql]', () => {
  let created: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    created = await createTestDatabase('mysql');
  });
  afterAll(async () => created?.drop());

  it('a change right after the server killed the pooled connections is applied, not refused', async () => {
    const services = await ticketServices(created.db);
    await newTicket(services, { title: 'Before', priority: 'normal' });
    const admin = await mysql.createConnection({ uri: inject('mysqlServerUrl')! });
    const [connections] = (await admin.query('SELECT id FROM information_schema.processlist WHERE db = ?', [
      new URL(created.url).pathname.slice(1),
    ])) as [Array<{ id: number }>, unknown];
    expect(connections.length).toBeGreaterThan(0);
    for (const { id } of connections) await admin.query(`KILL ${id}`);
    await admin.end();

    const after = await newTicket(services, { title: 'After', priority: 'normal' });
    expect(await created.db.models.Ticket.count({ where: { title: 'After' } })).toBe(1);
    expect(after.id).toBeGreaterThan(0);
  });
});
