import { createDatabase } from '../db/index.js';
import { commandLogger, configFromEnvironment } from './environment.js';
import { migrateCommand } from './migrateCommand.js';

// npm run migrate [-- up | down [--to NAME|0] | status]

const config = configFromEnvironment();
const logger = commandLogger(config, config.logLevel === 'info' ? 'warn' : config.logLevel);
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
