import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startTicketbot } from '../src/server.js';

// ticketbot for `npm run bench:outage`, in its own process, as `npm start` runs it, except that
// BENCH_CARD_CATCH_UP_MS (the short version) runs the card catch-up more often than each minute.
// Prints {"url": …} on stdout once listening; stops on SIGTERM.

const catchUp = process.env.BENCH_CARD_CATCH_UP_MS;
const bot = await startTicketbot(
  loadConfig(process.env),
  createLogger(process.env.LOG_LEVEL ?? 'silent', process.stderr),
  catchUp ? { cardCatchUpMs: Number(catchUp) } : {},
);
process.stdout.write(`${JSON.stringify({ url: bot.url })}\n`);
process.on('SIGTERM', () => void bot.stop().then(() => process.exit(0)));
