import { ConfigError, loadConfig } from '../config.js';
import { createDatabase } from '../db/index.js';
import { migrateDown, migrateUp, migrationStatus } from '../db/migrate.js';
import { createLogger } from '../logger.js';

// npm run migrate [-- up | down [--to NAME|0] | status]

try {
  process.loadEnvFile('.env');
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

const [command = 'up', ...rest] = process.argv.slice(2);
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
const db = createDatabase(config.databaseUrl, { logger });
const out = (line: string) => process.stdout.write(`${line}\n`);

try {
  if (command === 'up') {
    const applied = await migrateUp(db);
    out(applied.length ? applied.map((name) => `applied  ${name}`).join('\n') : 'nothing to apply');
  } else if (command === 'down') {
    const toIndex = rest.indexOf('--to');
    const to = toIndex >= 0 ? rest[toIndex + 1] : undefined;
    const reverted = await migrateDown(db, { to: to === '0' ? 0 : to });
    out(reverted.length ? reverted.map((name) => `reverted ${name}`).join('\n') : 'nothing to revert');
  } else if (command === 'status') {
    const { executed, pending } = await migrationStatus(db);
    for (const name of executed) out(`up       ${name}`);
    for (const name of pending) out(`pending  ${name}`);
    if (executed.length + pending.length === 0) out('no migrations');
  } else {
    process.stderr.write(`Unknown command "${command}". Use: up | down [--to NAME|0] | status\n`);
    process.exitCode = 2;
  }
} catch (error) {
  process.stderr.write(`Migration failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await db.close();
}
