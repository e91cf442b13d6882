import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTicket } from '../../src/tickets/index.js';
import { cachedSummary } from '../../src/web/status/summary.js';
import { createTestDatabase } from '../support/db.js';
import { PEOPLE, seedPeople } from './support.js';

describe('status page summary cache', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let services: Awaited<ReturnType<typeof seedPeople>>;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    services = await seedPeople(database.db);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('reuses the counts within their lifetime and counts again once they are stale', async () => {
    const kept = cachedSummary(database.db, 3_600_000);
    const fresh = cachedSummary(database.db, 0);
    expect((await kept()).open).toBe(0);
    await createTicket(services.as(PEOPLE.requester.id), { title: 'One more' });
    expect((await kept()).open).toBe(0);
    expect((await fresh()).open).toBe(1);
  });
});
