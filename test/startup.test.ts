import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../migrations/index.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startTicketbot } from '../src/server.js';
import { createEmptyTestDatabase, databaseKinds } from './support/db.js';
import { FakeSlack } from './support/slackApi.js';

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');

/** Runs src/main.ts as its own process, the way `npm start` does after building. */
function runMain(env: Record<string, string>, cwd: string): ChildProcess & { output: () => string } {
  const child = spawn(TSX, [join(process.cwd(), 'src', 'main.ts')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return Object.assign(child, { output: () => output });
}

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

  it('starts with nothing configured on SQLite, says how to connect Slack, and stops cleanly on SIGTERM', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ticketbot-start-'));
    dirs.push(cwd);
    const child = runMain({ PORT: '0' }, cwd);
    await until(
      () => child.output().includes('ticketbot is listening') || child.exitCode !== null,
      'start-up',
    );
    const lines = child
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const listening = lines.find((line) => line.msg === 'ticketbot is listening');
    expect(listening, child.output()).toBeDefined();
    expect(
      lines.some((line) => String(line.msg).startsWith('Slack is not connected: set SLACK_BOT_TOKEN')),
    ).toBe(true);
    // Slack's endpoint, not configured: the reason, not a 404.
    const events = await fetch(`${String(listening!.url)}/slack/events`, { method: 'POST', body: 'x=1' });
    expect(events.status).toBe(503);
    expect(await events.text()).toContain('set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET');
    expect(lines.find((line) => line.msg === 'database migrated')).toMatchObject({
      applied: migrations.map((migration) => migration.name),
    });

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(child.output()).toContain('"msg":"stopped"');
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
