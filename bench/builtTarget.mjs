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
// The bench asks for the heap's figures (kill -USR2): one JSON line on stdout, for the bench only.
// Started with --expose-gc, a full collection runs first, so `live` is what is still referenced:
// what grows there is a leak; what grows only in heapTotal and RSS is V8 keeping room.
process.on('SIGUSR2', () => {
  const before = process.memoryUsage().heapUsed;
  globalThis.gc?.();
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  const live = globalThis.gc ? heapUsed : -1;
  const memory = { rss, heapTotal, heapUsed: before, live, external, arrayBuffers };
  process.stdout.write(`${JSON.stringify({ memory })}\n`);
});
