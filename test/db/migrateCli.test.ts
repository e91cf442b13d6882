import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { createEmptyTestDatabase, type TestDatabase } from '../support/db.js';

const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');

describe('npm run migrate', () => {
  let empty: TestDatabase;
  beforeAll(async () => {
    empty = await createEmptyTestDatabase('sqlite');
  });
  afterAll(async () => {
    await empty.drop();
  });

  const migrate = async (...args: string[]) => {
    const { stdout } = await run(TSX, ['src/cli/migrate.ts', ...args], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: empty.url },
    });
    return stdout.trim().split('\n');
  };

  it('applies, reports, reverts one and reapplies', async () => {
    const names = migrations.map((m) => m.name);
    expect(await migrate('status')).toEqual(names.map((name) => `pending  ${name}`));
    expect(await migrate()).toEqual(names.map((name) => `applied  ${name}`));
    expect(await migrate('status')).toEqual(names.map((name) => `up       ${name}`));
    expect(await migrate('down')).toEqual([`reverted ${names.at(-1)}`]);
    expect(await migrate('up')).toEqual([`applied  ${names.at(-1)}`]);
    expect(await migrate('up')).toEqual(['nothing to apply']);
  });
});
