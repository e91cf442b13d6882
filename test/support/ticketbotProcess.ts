import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Database } from '../../src/db/index.js';
import type { Ticketbot } from '../../src/server.js';
import { freePort } from '../web/support.js';
import type { FakeSlack } from './slackApi.js';
import {
  ADMIN,
  BOT_TOKEN,
  HELPDESK,
  SECOND_TECHNICIAN,
  SIGNING_SECRET,
  SlackTestApp,
  TECHNICIAN,
} from './slackApp.js';

// ticketbot as its own process, the way `npm start` runs it (src/main.ts through tsx), on a
// test's database and test Slack: for the tests that kill a process (SIGKILL: a crash, an
// out-of-memory kill) or run several side by side, each with its own pool and timers.

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const MAIN = join(process.cwd(), 'src', 'main.ts');

/** Polls `read` every 100 ms until `ok`; throws after `timeoutMs` naming `what`. */
export async function until<T>(
  read: () => Promise<T> | T,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface TicketbotProcess {
  child: ChildProcess;
  url: string;
  /** Signs and sends requests to this process as Slack would (its database handle is the test's). */
  app: SlackTestApp;
  /** What the process printed so far (stdout and stderr). */
  output(): string;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (a graceful stop), and waits for the exit. */
  stop(): Promise<void>;
}

export interface TicketbotProcessOptions {
  databaseUrl: string;
  /** The test's own handle on the same database (for the SlackTestApp's lookups). */
  db: Database;
  slack: FakeSlack;
  /** More environment, over the defaults (LOG_LEVEL, CLAIM_SECONDS…). */
  env?: Record<string, string>;
  /** How long to wait for /readyz (default 60 s). */
  readyTimeoutMs?: number;
}

/** Starts ticketbot and resolves once its /readyz answers 200. */
export async function startTicketbotProcess(options: TicketbotProcessOptions): Promise<TicketbotProcess> {
  const port = await freePort();
  const child = spawn(TSX, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      PORT: String(port),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      DATABASE_URL: options.databaseUrl,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: options.slack.url,
      HELPDESK_CHANNEL_ID: HELPDESK,
      TECHNICIAN_USER_IDS: `${TECHNICIAN},${SECOND_TECHNICIAN}`,
      ADMIN_USER_IDS: ADMIN,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await until(
      () => {
        if (child.exitCode !== null) throw new Error(`ticketbot exited with ${child.exitCode}: ${output}`);
        return fetch(`${url}/readyz`).then(
          (res) => res.status === 200,
          () => false,
        );
      },
      Boolean,
      `ticketbot on ${url} (${output})`,
      options.readyTimeoutMs,
    );
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw error;
  }
  const bot = { url, db: options.db } as unknown as Ticketbot;
  const ended = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  return {
    child,
    url,
    app: new SlackTestApp(bot, options.slack, false),
    output: () => output,
    kill: () => ended('SIGKILL'),
    stop: () => ended('SIGTERM'),
  };
}
