import { type Config, ConfigError, loadConfig } from '../config.js';
import { exitIfNodeTooOld } from '../nodeVersion.js';

/**
 * What every command starts with: read `.env` when present, validate the environment, and on a
 * bad value print every problem and exit 1.
 */
export function configFromEnvironment(hint = ''): Config {
  exitIfNodeTooOld();
  try {
    process.loadEnvFile('.env');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n${hint}`);
      process.exit(1);
    }
    throw error;
  }
}
