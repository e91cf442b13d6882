import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { migrateCommand } from '../../src/cli/migrateCommand.js';
import { createDatabase, type Database } from '../../src/db/index.js';
import { createEmptyTestDatabase, type TestDatabase } from '../support/db.js';

const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');

describe('npm run migrate', () => {
  let empty: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    empty = await createEmptyTestDatabase('sqlite');
    db = createDatabase(empty.url);
  });
  afterAll(async () => {
    await db.close();
    await empty.drop();
  });

  it('applies, reports, reverts one and reapplies', async () => {
    const names = migrations.map((m) => m.name);
    expect(await migrateCommand(db, ['status'])).toEqual(names.map((name) => `pending  ${name}`));
    expect(await migrateCommand(db, [])).toEqual(names.map((name) => `applied  ${name}`));
    expect(await migrateCommand(db, ['status'])).toEqual(names.map((name) => `up       ${name}`));
    expect(await migrateCommand(db, ['down'])).toEqual([`reverted ${names.at(-1)}`]);
    expect(await migrateCommand(db, ['up'])).toEqual([`applied  ${names.at(-1)}`]);
    expect(await migrateCommand(db, ['up'])).toEqual(['nothing to apply']);
    await expect(migrateCommand(db, ['sideways'])).rejects.toThrow(/Unknown command "sideways"/);
  });

  it('runs as a command against DATABASE_URL', async () => {
    const { stdout } = await run(TSX, ['src/cli/migrate.ts', 'status'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: empty.url },
    });
    expect(stdout.trim().split('\n')).toEqual(migrations.map((m) => `up       ${m.name}`));
  }, 120_000);
});
