// ticketbot as it runs in production (`npm start`: the compiled dist/, no TypeScript loader), for
// the benchmarks that measure its memory: a loader such as tsx keeps sources and source maps of
// every module in the process. Build first (`npm run build`). Prints {"url": …} once listening;
// stops on SIGTERM.
import { loadConfig } from '../dist/src/config.js';
import { createLogger } from '../dist/src/logger.js';
import { startTicketbot } from '../dist/src/server.js';

const bot = await startTicketbot(loadConfig(process.env), createLogger('silent'));
process.stdout.write(`${JSON.stringify({ url: bot.url })}\n`);
process.on('SIGTERM', () => void bot.stop().then(() => process.exit(0)));
