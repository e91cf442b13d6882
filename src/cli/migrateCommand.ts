import type { Database } from '../db/index.js';
import { migrateDown, migrateUp, migrationStatus } from '../db/migrate.js';

export const MIGRATE_USAGE = 'Use: npm run migrate [-- up | down [--to NAME|0] | status]';

/** The migrate command's work: returns the lines to print, throws on an unknown command. */
export async function migrateCommand(db: Database, args: string[]): Promise<string[]> {
  const [command = 'up', ...rest] = args;
  if (command === 'up') {
    const applied = await migrateUp(db);
    return applied.length ? applied.map((name) => `applied  ${name}`) : ['nothing to apply'];
  }
  if (command === 'down') {
    const toIndex = rest.indexOf('--to');
    const to = toIndex >= 0 ? rest[toIndex + 1] : undefined;
    const reverted = await migrateDown(db, { to: to === '0' ? 0 : to });
    return reverted.length ? reverted.map((name) => `reverted ${name}`) : ['nothing to revert'];
  }
  if (command === 'status') {
    const { executed, pending } = await migrationStatus(db);
    const lines = [
      ...executed.map((name) => `up       ${name}`),
      ...pending.map((name) => `pending  ${name}`),
    ];
    return lines.length ? lines : ['no migrations'];
  }
  throw new Error(`Unknown command "${command}". ${MIGRATE_USAGE}`);
}
