import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { App, ExpressReceiver } from '@slack/bolt';
import express from 'express';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startTicketbot } from '../src/server.js';

// One side of `npm run bench:slack`, in its own process so it does not share a CPU with the
// load generator: `ticketbot` (the whole app) or `bare` (Bolt on Express, every listener only acks).
// Prints {"url": …} on stdout once listening; stops on SIGTERM.

const kind = process.argv[2];

if (kind === 'ticketbot') {
  const bot = await startTicketbot(loadConfig(process.env), createLogger('silent'));
  process.stdout.write(`${JSON.stringify({ url: bot.url })}\n`);
  process.on('SIGTERM', () => void bot.stop().then(() => process.exit(0)));
} else if (kind === 'bare') {
  const app = express();
  const receiver = new ExpressReceiver({
    signingSecret: process.env.SLACK_SIGNING_SECRET!,
    app,
    endpoints: '/slack/events',
  });
  const bolt = new App({
    token: process.env.SLACK_BOT_TOKEN,
    receiver,
    clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
    deferInitialization: true,
  });
  await bolt.init();
  bolt.view(/.*/, async ({ ack }) => ack());
  bolt.action(/.*/, async ({ ack }) => ack());
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
  );
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else {
  process.stderr.write('usage: slackTarget.ts ticketbot|bare\n');
  process.exit(2);
}
