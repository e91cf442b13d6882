import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../migrations/index.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startTicketbot } from '../src/server.js';
import { createEmptyTestDatabase, databaseKinds } from './support/db.js';
import { captureLogs } from './support/logs.js';
import { FakeSlack } from './support/slackApi.js';
import { FakeSocketMode } from './support/slackSocket.js';
import { TestSmtpServer } from './support/smtpServer.js';
import { freePort } from './web/support.js';

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const MAIN = join(process.cwd(), 'src', 'main.ts');

/** util-linux's `script` gives a command a pseudo-terminal, as a person's shell would. */
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((path) => existsSync(path));

type Started = ChildProcess & { output: () => string };

/**
 * How src/main.ts is run: through the tsx command (which passes the signals it gets on to its
 * child), as one node process loading tsx as `--import` (as `npm start` runs the build: one
 * process), or through `tsx watch` (`npm run dev`).
 */
const RUNNERS = {
  tsx: [TSX, MAIN],
  node: [
    process.execPath,
    `--import=${pathToFileURL(join(process.cwd(), 'node_modules', 'tsx', 'dist', 'loader.mjs'))}`,
    MAIN,
  ],
  watch: [TSX, 'watch', MAIN],
};

/**
 * Runs src/main.ts as its own process, the way `npm start` does after building: its output into
 * a pipe, or with `terminal`, into a pseudo-terminal (whose keys reach it on stdin: \x03 is Ctrl-C).
 */
function runMain(
  env: Record<string, string>,
  cwd: string,
  options: { terminal?: boolean; runner?: keyof typeof RUNNERS } = {},
): Started {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  const [command, ...args] = RUNNERS[options.runner ?? 'tsx'] as [string, ...string[]];
  const child = options.terminal
    ? // -q: no "Script started" line; -f: flush at once; -e: its exit code is the command's.
      spawn(SCRIPT!, ['-qfec', [command, ...args].map((word) => `'${word}'`).join(' '), '/dev/null'], {
        cwd,
        env: { ...base, TERM: 'xterm-256color', ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn(command, args, { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return Object.assign(child, { output: () => output });
}

/** A start-up line as JSON: the words, and the same facts for machines. */
type StartupJsonLine = { msg: string; startup?: Record<string, unknown> };

/** The parts the first lines speak of, in their order: the page, Slack, email, sign-in, database. */
const SUMMARY_PARTS = ['web', 'slack', 'email', 'status page', 'database', 'service levels'];

/** Waits for the start-up lines; returns every line printed so far, colours removed. */
async function startUpLines(child: Started): Promise<string[]> {
  await until(() => /service levels: /.test(child.output()) || child.exitCode !== null, 'start-up');
  return stripVTControlCharacters(child.output())
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
}

/** The readable line pino-pretty prints: `[12:00:00] INFO: message`, no JSON object after it. */
const PRETTY_LINE = /^\[\d\d:\d\d:\d\d\] INFO: [^{]+$/;

async function until(condition: () => boolean, what: string, limitMs = 100_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('start-up as a process', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('starts with nothing configured on SQLite: its first lines, JSON in a pipe, say where the page is, that Slack is not connected and how to connect it, and where emails go; it stops cleanly on SIGTERM', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ticketbot-start-'));
    dirs.push(cwd);
    const child = runMain({ PORT: '0' }, cwd);
    const lines = (await startUpLines(child)).map((line) => JSON.parse(line) as StartupJsonLine);
    expect(
      lines.slice(0, 6).map((line) => line.startup?.part),
      child.output(),
    ).toEqual(SUMMARY_PARTS);
    const [listening, slack, email, statusPage, database, serviceLevels] = lines;
    const url = String(listening?.startup?.url);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(listening!.msg).toBe(
      `ticketbot is listening on ${url}/; links in Slack and emails point at PUBLIC_URL, http://localhost:3000`,
    );
    expect(slack!.msg).toBe(
      'Slack is not connected: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP mode) and optionally SLACK_APP_TOKEN (Socket Mode); see "Connect Slack" in README.md',
    );
    expect(email).toMatchObject({
      msg: `SMTP_URL is not set, so emails are written as .eml files to ${join(cwd, 'data', 'outbox')}; without Slack, only MANAGER_EMAILS and the addresses already stored are known`,
      startup: { transport: 'eml', destination: join(cwd, 'data', 'outbox') },
    });
    expect(statusPage!.msg).toBe(
      'status page: no sign-in set up, so it answers only a browser on this machine (see "Security" in README.md)',
    );
    expect(database).toMatchObject({
      msg: `database: sqlite:data/ticketbot.sqlite, ${migrations.length} migrations applied`,
      startup: { applied: migrations.map((migration) => migration.name) },
    });
    expect(serviceLevels).toMatchObject({
      msg: 'service levels: Mon Tue Wed Thu Fri, 09:00–17:00 in UTC, 0 holidays; targets (first response/resolution) urgent 1h/4h, high 4h/1d, normal 1d/3d, low 2d/5d; warnings looked for on "30 * * * * *"',
      startup: { enabled: true, timeZone: 'UTC', workingDays: [1, 2, 3, 4, 5], jobCron: '30 * * * * *' },
    });
    // Slack's endpoint, not configured: the reason, not a 404.
    const events = await fetch(`${url}/slack/events`, { method: 'POST', body: 'x=1' });
    expect(events.status).toBe(503);
    expect(await events.text()).toContain('set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET');

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(child.output()).toContain('"msg":"stopped"');
  }, 120_000);

  it.skipIf(!SCRIPT)(
    'on a terminal prints readable, coloured lines, the same first lines, and Ctrl-C stops it',
    async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'ticketbot-start-'));
      dirs.push(cwd);
      const child = runMain({ PORT: '0' }, cwd, { terminal: true, runner: 'node' });
      const lines = await startUpLines(child);
      expect(lines.slice(0, 5), child.output()).toEqual([
        expect.stringMatching(
          /^\[\d\d:\d\d:\d\d\] INFO: ticketbot is listening on http:\/\/127\.0\.0\.1:\d+\/; /,
        ),
        expect.stringMatching(
          /INFO: Slack is not connected: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET .*"Connect Slack" in README\.md$/,
        ),
        expect.stringContaining(
          `INFO: SMTP_URL is not set, so emails are written as .eml files to ${join(cwd, 'data', 'outbox')};`,
        ),
        expect.stringContaining('INFO: status page: no sign-in set up'),
        expect.stringContaining(
          `INFO: database: sqlite:data/ticketbot.sqlite, ${migrations.length} migrations applied`,
        ),
      ]);
      for (const line of lines.slice(0, 5)) expect(line).toMatch(PRETTY_LINE);
      // The level in green, the message in cyan: pino-pretty's colours on a terminal.
      expect(child.output()).toContain('\u001b[32mINFO\u001b[39m');

      child.stdin?.write('\x03');
      await once(child, 'exit');
      expect(stripVTControlCharacters(child.output())).toMatch(
        /INFO: signal received .*SIGINT[\s\S]*INFO: stopped/,
      );
    },
    120_000,
  );

  it.skipIf(!SCRIPT)(
    'with LOG_FORMAT=json prints JSON even on a terminal; under `tsx watch` (npm run dev) one Ctrl-C stops it cleanly',
    async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'ticketbot-start-'));
      dirs.push(cwd);
      const child = runMain({ PORT: '0', LOG_FORMAT: 'json' }, cwd, { terminal: true, runner: 'watch' });
      const lines = await startUpLines(child);
      const json = lines.filter((line) => line.startsWith('{'));
      expect(
        json.slice(0, 6).map((line) => (JSON.parse(line) as { startup?: { part: string } }).startup?.part),
        child.output(),
      ).toEqual(SUMMARY_PARTS);
      // tsx watch passes the Ctrl-C on to ticketbot, which the terminal has signalled already.
      child.stdin?.write('\x03');
      await once(child, 'exit');
      const messages = stripVTControlCharacters(child.output())
        .split(/\r?\n/)
        .filter((line) => line.startsWith('{'))
        .map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(messages).toContain('stopped');
      expect(messages).not.toContain('second signal: exiting now');
    },
    120_000,
  );

  it('with LOG_FORMAT=pretty in a pipe, connected to Slack over HTTP and to SMTP: readable lines without colour, and no secret in them', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ticketbot-start-'));
    dirs.push(cwd);
    const slack = await FakeSlack.start();
    const smtp = await TestSmtpServer.start();
    try {
      const child = runMain(
        {
          PORT: '0',
          LOG_FORMAT: 'pretty',
          SLACK_BOT_TOKEN: 'xoxb-bot-token-value',
          SLACK_SIGNING_SECRET: 'signing-secret-value',
          SLACK_API_URL: slack.url,
          HELPDESK_CHANNEL_ID: 'C0HELPDESK',
          SMTP_URL: `smtp://mailer:smtp-password-value@127.0.0.1:${smtp.port}`,
          PUBLIC_URL: 'http://localhost:3000',
        },
        cwd,
      );
      const lines = await startUpLines(child);
      expect(lines.slice(0, 5), child.output()).toEqual([
        expect.stringMatching(/INFO: ticketbot is listening on http:\/\/127\.0\.0\.1:\d+\/; /),
        expect.stringMatching(
          /INFO: Slack connected to the workspace ticketbot test in HTTP mode: the app's request URLs must be http:\/\/localhost:3000\/slack\/events$/,
        ),
        expect.stringMatching(
          new RegExp(`INFO: emails are sent through the SMTP server smtp://127\\.0\\.0\\.1:${smtp.port}$`),
        ),
        expect.stringContaining('INFO: status page: no sign-in set up'),
        expect.stringContaining('INFO: database: sqlite:data/ticketbot.sqlite, '),
      ]);
      for (const line of lines.slice(0, 5)) expect(line).toMatch(PRETTY_LINE);
      expect(child.output()).not.toContain('\u001b[');
      expect(child.output()).not.toMatch(
        /xoxb-bot-token-value|signing-secret-value|smtp-password-value|mailer:/,
      );

      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      await smtp.close();
      await slack.stop();
    }
  }, 120_000);

  it('refuses a bad configuration with every problem listed and exit code 1', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ticketbot-start-'));
    dirs.push(cwd);
    const child = runMain(
      { PORT: 'abc', DATABASE_URL: 'oracle://db', SLACK_BOT_TOKEN: 'xoxb-secret-value' },
      cwd,
    );
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    const output = child.output();
    expect(output).toContain('Invalid configuration');
    expect(output).toMatch(/PORT: /);
    expect(output).toMatch(/DATABASE_URL: .*mysql:\/\//);
    expect(output).toMatch(/SLACK_SIGNING_SECRET: /);
    expect(output).toContain('.env.example');
    expect(output).not.toContain('xoxb-secret-value');
  }, 120_000);

  it('refuses to listen beyond this machine, or behind a PUBLIC_URL elsewhere, with no sign-in set up', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ticketbot-start-'));
    dirs.push(cwd);
    const exposed = runMain({ PORT: '0', HOST: '0.0.0.0' }, cwd);
    const [code] = await once(exposed, 'exit');
    expect(code).toBe(1);
    expect(exposed.output()).toContain('HOST: listening beyond this machine needs a sign-in');
    const proxied = runMain({ PORT: '0', PUBLIC_URL: 'https://helpdesk.example.com' }, cwd);
    const [proxiedCode] = await once(proxied, 'exit');
    expect(proxiedCode).toBe(1);
    expect(proxied.output()).toContain(
      'PUBLIC_URL (https://helpdesk.example.com) is not on this machine, but no sign-in is set up',
    );
    expect(proxied.output()).not.toContain('ticketbot is listening');
  }, 120_000);

  it('on a Node.js older than 20.12 says in one line which version it needs, and exits 1', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ticketbot-start-'));
    dirs.push(cwd);
    // Node 20.11 lacks process.loadEnvFile; stand in for it by reporting that version.
    const older = join(cwd, 'node-20.11.mjs');
    writeFileSync(older, "Object.defineProperty(process.versions, 'node', { value: '20.11.1' });\n");
    writeFileSync(join(cwd, '.env'), 'PORT=0\n');
    const child = runMain({ NODE_OPTIONS: `--import=${older}` }, cwd);
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(child.output().trim()).toBe(
      'ticketbot needs Node.js 20.12.0 or newer (this is v20.11.1); install a current LTS release (22 or 24) from https://nodejs.org',
    );
  }, 120_000);

  it('stops with a plain reason when Slack refuses the bot token, without showing it', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ticketbot-start-'));
    dirs.push(cwd);
    const slack = await FakeSlack.start();
    try {
      slack.failNext('auth.test', 'invalid_auth');
      const child = runMain(
        {
          PORT: '0',
          SLACK_BOT_TOKEN: 'xoxb-revoked-token-value',
          SLACK_SIGNING_SECRET: 'signing-secret-value',
          SLACK_API_URL: slack.url,
        },
        cwd,
      );
      const [code] = await once(child, 'exit');
      expect(code).toBe(1);
      const fatal = child
        .output()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .find((line) => line.level === 60);
      expect(fatal?.msg).toBe(
        'ticketbot could not start: Slack refused SLACK_BOT_TOKEN (invalid_auth): copy the Bot User OAuth Token (xoxb-…) from the app\'s Install App page again; see "Connect Slack" in README.md',
      );
      expect(child.output()).not.toContain('xoxb-revoked-token-value');
      expect(child.output()).not.toContain('signing-secret-value');
    } finally {
      await slack.stop();
    }
  }, 120_000);
});

describe('start-up lines in process', () => {
  it('in Socket Mode with a shared password: the Slack line names the workspace and the mode, the page line the sign-in, PUBLIC_URL on this machine goes unmentioned, and no secret shows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticketbot-lines-'));
    const slack = await FakeSlack.start();
    const socket = await FakeSocketMode.start();
    slack.socketUrl = socket.url;
    const smtp = await TestSmtpServer.start();
    const { logger, lines } = captureLogs();
    const port = await freePort();
    const bot = await startTicketbot(
      loadConfig({
        PORT: String(port),
        PUBLIC_URL: `http://localhost:${port}`,
        DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
        SLACK_BOT_TOKEN: 'xoxb-socket-bot-token',
        SLACK_SIGNING_SECRET: 'socket-signing-secret',
        SLACK_APP_TOKEN: 'xapp-1-socket-app-token',
        SLA_ENABLED: 'false',
        SLACK_API_URL: slack.url,
        HELPDESK_CHANNEL_ID: 'C0HELPDESK',
        SMTP_URL: `smtp://mailer:smtp-password-value@127.0.0.1:${smtp.port}`,
        STATUS_PAGE_USER: 'helpdesk',
        STATUS_PAGE_PASSWORD: 'shared-password-value',
      }),
      logger,
    );
    try {
      const first = lines.slice(0, 6).map((line) => JSON.parse(line) as { msg: string; startup: object });
      expect(first.map((line) => line.msg)).toEqual([
        // PUBLIC_URL names this machine on the same port: nothing to add.
        `ticketbot is listening on ${bot.url}/`,
        'Slack connected to the workspace ticketbot test in Socket Mode (an outbound WebSocket, no public URL needed)',
        `emails are sent through the SMTP server smtp://127.0.0.1:${smtp.port}`,
        'status page: one shared password (Basic auth); everyone who has it sees what an admin sees',
        `database: sqlite:${join(dir, 'db.sqlite')}, ${migrations.length} migrations applied`,
        'service levels: off (SLA_ENABLED=false), tickets get no clocks',
      ]);
      expect(first[1]?.startup).toEqual({
        part: 'slack',
        connected: true,
        mode: 'socket',
        workspace: 'ticketbot test',
      });
      expect(lines.join('')).not.toMatch(
        /xoxb-socket-bot-token|socket-signing-secret|xapp-1-socket-app-token|smtp-password-value|shared-password-value/,
      );
    } finally {
      await bot.stop();
      await smtp.close();
      await socket.stop();
      await slack.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const { kind, skipReason } of databaseKinds()) {
  describe.skipIf(Boolean(skipReason))(`start-up in process [${kind}]`, () => {
    it('migrates an empty database, seeds the roster and answers /healthz and /readyz', async () => {
      const empty = await createEmptyTestDatabase(kind);
      const config = loadConfig({
        PORT: '0',
        DATABASE_URL: empty.url,
        TECHNICIAN_USER_IDS: 'U0TECH0001',
        ADMIN_USER_IDS: 'U0ADMIN001',
      });
      const bot = await startTicketbot(config, createLogger('silent'));
      try {
        const health = await fetch(`${bot.url}/healthz`);
        expect(health.status).toBe(200);
        const ready = await fetch(`${bot.url}/readyz`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toEqual({ status: 'ready' });
        const technician = await bot.db.models.User.findByPk('U0TECH0001');
        const admin = await bot.db.models.User.findByPk('U0ADMIN001');
        expect([technician?.isTechnician, admin?.isAdmin]).toEqual([true, true]);
        expect(await bot.db.models.Ticket.count()).toBe(0);
      } finally {
        await bot.stop();
        await empty.drop();
      }
    });
  });
}
