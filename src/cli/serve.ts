import { startTicketbot } from '../server.js';
import { commandLogger, configFromEnvironment } from './environment.js';

// What `npm start` runs once src/main.ts has checked the Node.js version: read .env, validate the
// configuration, start, and stop cleanly.

/** A repeat of the first signal this soon after it is the same one passed on by a wrapper. */
const RELAYED_COPY_MS = 1000;

const config = configFromEnvironment(
  'Fix these in the environment or .env (see .env.example), then start again.\n',
);

const logger = commandLogger(config);
let bot: Awaited<ReturnType<typeof startTicketbot>> | undefined;
let first: { signal: NodeJS.Signals; at: number } | undefined;
const stop = () => {
  bot!.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
const onSignal = (signal: NodeJS.Signals) => {
  if (first) {
    // Ctrl-C reaches every process of the terminal's foreground group, and a wrapper that also
    // passes it on (tsx watch, `npm run dev`) makes it arrive twice: that copy is not a
    // person's second press, which alone skips the clean shutdown.
    if (signal === first.signal && Date.now() - first.at < RELAYED_COPY_MS) return;
    logger.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  first = { signal, at: Date.now() };
  logger.info({ signal }, 'signal received');
  // A signal while ticketbot is still starting (its first lines are already out) stops it as
  // soon as it has started, instead of killing it half-way.
  if (bot) stop();
};
// Listening for signals before starting: the start-up lines are logged before startTicketbot
// returns, and a SIGTERM sent on seeing them must still get a clean stop.
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
try {
  bot = await startTicketbot(config, logger);
  if (first) stop();
} catch (error) {
  logger.fatal({ err: error }, `ticketbot could not start: ${(error as Error).message ?? String(error)}`);
  process.exit(1);
}
