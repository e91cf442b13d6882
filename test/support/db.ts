import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { createDatabase, type Database } from '../../src/db/index.js';
import { migrateUp } from '../../src/db/migrate.js';

export type DatabaseKind = 'sqlite' | 'mysql';

export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  /** Removes the database (file or schema). */
  drop(): Promise<void>;
}

/** A brand-new empty database, not migrated: one per test file and kind. */
export async function createEmptyTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ticketbot-test-'));
    return {
      kind,
      url: `sqlite:${join(dir, 'ticketbot.sqlite')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const serverUrl = inject('mysqlServerUrl');
  if (!serverUrl) throw new Error('MySQL suites are skipped; do not create a MySQL test database');
  const name = `ticketbot_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: serverUrl });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    drop: async () => {
      const connection = await mysql.createConnection({ uri: serverUrl });
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    },
  };
}

/** A fresh, migrated database with its connection open. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase & { db: Database }> {
  const empty = await createEmptyTestDatabase(kind);
  const db = createDatabase(empty.url);
  if (kind === 'sqlite') await db.sequelize.query('PRAGMA journal_mode = WAL');
  await migrateUp(db);
  return {
    ...empty,
    db,
    drop: async () => {
      await db.close();
      await empty.drop();
    },
  };
}

/** The database kinds to run suites on here, with the reason a kind is skipped ('' = runs). */
export function databaseKinds(): Array<{ kind: DatabaseKind; skipReason: string }> {
  return [
    { kind: 'sqlite', skipReason: '' },
    { kind: 'mysql', skipReason: inject('mysqlSkipReason') },
  ];
}

export interface DatabaseSuite {
  kind: DatabaseKind;
  /** Set before the suite's tests run. */
  db: Database;
  url: string;
}

/**
 * Declares the suite once per database kind (SQLite always; MySQL/MariaDB when reachable),
 * each on its own freshly created and migrated database, dropped afterwards.
 */
export function describeEachDatabase(name: string, body: (suite: DatabaseSuite) => void): void {
  for (const { kind, skipReason } of databaseKinds()) {
    const title = `${name} [${kind}]`;
    if (skipReason) {
      describe.skip(`${title} (skipped: ${skipReason})`, () => body({ kind } as DatabaseSuite));
      continue;
    }
    describe(title, () => {
      const suite = { kind } as DatabaseSuite;
      let created: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
      beforeAll(async () => {
        created = await createTestDatabase(kind);
        suite.db = created.db;
        suite.url = created.url;
      });
      afterAll(async () => {
        await created?.drop();
      });
      body(suite);
    });
  }
}
