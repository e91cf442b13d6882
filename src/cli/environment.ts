import { type Config, ConfigError, loadConfig } from '../config.js';
import { chooseLogFormat, createLogger, type Logger } from '../logger.js';
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

/**
 * The logger of a command run by a person or a service manager: LOG_LEVEL (or `level`), and
 * readable lines when standard output is a terminal, JSON otherwise, unless LOG_FORMAT says.
 */
export function commandLogger(config: Config, level: string = config.logLevel): Logger {
  return createLogger(level, undefined, chooseLogFormat(config.logFormat, process.stdout.isTTY === true));
}
