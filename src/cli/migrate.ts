import { ConfigError, loadConfig } from '../config.js';
import { createDatabase } from '../db/index.js';
import { createLogger } from '../logger.js';
import { migrateCommand } from './migrateCommand.js';

// npm run migrate [-- up | down [--to NAME|0] | status]

try {
  process.loadEnvFile('.env');
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

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
try {
  const lines = await migrateCommand(db, process.argv.slice(2));
  process.stdout.write(`${lines.join('\n')}\n`);
} catch (error) {
  process.stderr.write(`Migration failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await db.close();
}
