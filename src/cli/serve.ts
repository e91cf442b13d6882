import { createLogger } from '../logger.js';
import { startTicketbot } from '../server.js';
import { configFromEnvironment } from './environment.js';

// What `npm start` runs once src/main.ts has checked the Node.js version: read .env, validate the
// configuration, start, and stop cleanly.

const config = configFromEnvironment(
  'Fix these in the environment or .env (see .env.example), then start again.\n',
);

const logger = createLogger(config.logLevel);
try {
  const bot = await startTicketbot(config, logger);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'signal received');
    bot.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
} catch (error) {
  logger.fatal({ err: error }, `ticketbot could not start: ${(error as Error).message ?? String(error)}`);
  process.exit(1);
}
