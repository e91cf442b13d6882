import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { createDatabase, type Database } from '../../src/db/index.js';
import { migrateUp, migrationStatus, takeMigrationLease } from '../../src/db/migrate.js';
import { createEmptyTestDatabase, databaseKinds, type TestDatabase } from '../support/db.js';

// The migration lease (src/db/migrate.ts) in place of GET_LOCK, which Galera refuses or grants
// per node: two migrators starting together run each migration once, and a lease left by a
// migrator that died is taken over when it expires.

for (const { kind, skipReason } of databaseKinds()) {
  describe.skipIf(Boolean(skipReason))(
    `the migration lease [${kind}]${skipReason ? ` (skipped: ${skipReason})` : ''}`,
    { timeout: 180_000 },
    () => {
      let empty: TestDatabase;
      let first: Database;
      let second: Database;
      beforeAll(async () => {
        empty = await createEmptyTestDatabase(kind);
        first = createDatabase(empty.url);
        second = createDatabase(empty.url);
      });
      afterAll(async () => {
        await first?.close();
        await second?.close();
        await empty?.drop();
      });

      it('two migrators at once: each migration is run once, by one of them', async () => {
        const [a, b] = await Promise.all([
          migrateUp(first, undefined, { pollMs: 20 }),
          migrateUp(second, undefined, { pollMs: 20 }),
        ]);
        expect([...a, ...b].sort()).toEqual(migrations.map((migration) => migration.name).sort());
        expect((await migrationStatus(first)).pending).toEqual([]);
      });

      it('waits for a live lease held by another migrator, and gives up in time', async () => {
        expect(await takeMigrationLease(first, 'someone-alive', 60_000)).toBe(true);
        await expect(migrateUp(second, undefined, { waitMs: 100, pollMs: 20 })).rejects.toThrow(
          /another process/,
        );
      });

      it('takes over the lease of a migrator that died once it expires', async () => {
        expect(await takeMigrationLease(first, 'someone-dead', 1)).toBe(false); // the live one holds it
        // The live holder dies; its lease ran out long ago as far as the row says.
        await first.sequelize.query(
          "UPDATE schema_migration_lease SET owner = 'someone-dead', expires_at = 1",
        );
        expect(await migrateUp(second, undefined, { waitMs: 5_000, pollMs: 20 })).toEqual([]);
        // Released afterwards: the next migrator takes it at once.
        expect(await takeMigrationLease(first, 'next', 60_000)).toBe(true);
      });
    },
  );
}
