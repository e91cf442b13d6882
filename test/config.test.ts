import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('configuration', () => {
  it('starts with nothing configured: SQLite, port 3000, Slack off, emails to files', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      publicUrl: 'http://localhost:3000',
      databaseUrl: 'sqlite:data/ticketbot.sqlite',
      slack: undefined,
      roster: { technicianIds: [], adminIds: [] },
      mail: { smtpUrl: undefined, queueCron: '*/5 * * * * *' },
      digest: { cron: '0 8 * * 1-5', timeZone: 'UTC', managerEmails: [] },
      statusPage: { user: undefined, password: undefined },
    });
  });

  it('takes blank values as unset, so .env.example copied as it is starts', () => {
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const env = Object.fromEntries(
      example
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(env.DATABASE_URL).toBe('');
    expect(loadConfig(env)).toMatchObject(loadConfig({}));
    expect(loadConfig({ PORT: ' ', MAIL_FROM: '', DIGEST_TZ: '' })).toMatchObject({
      port: 3000,
      mail: { from: 'ticketbot <ticketbot@localhost>' },
      digest: { timeZone: 'UTC' },
    });
  });

  it('reads HTTP mode, Socket Mode and the lists', () => {
    const http = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'shh',
      SLACK_API_URL: 'http://127.0.0.1:9999/api/',
      TECHNICIAN_USER_IDS: ' U01, U02 ,,',
      ADMIN_USER_IDS: 'W03',
      MANAGER_EMAILS: 'a@example.com, b@example.com',
      PUBLIC_URL: 'https://help.example.com/',
    });
    expect(http.slack).toEqual({
      mode: 'http',
      botToken: 'xoxb-1',
      signingSecret: 'shh',
      appToken: undefined,
      apiUrl: 'http://127.0.0.1:9999/api/',
    });
    expect(http.roster).toEqual({ technicianIds: ['U01', 'U02'], adminIds: ['W03'] });
    expect(http.digest.managerEmails).toEqual(['a@example.com', 'b@example.com']);
    expect(http.publicUrl).toBe('https://help.example.com');
    const socket = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'shh',
      SLACK_APP_TOKEN: 'xapp-1',
    });
    expect(socket.slack?.mode).toBe('socket');
  });

  it('lists every problem at once, naming the variable', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: 'postgres://x',
      SLACK_BOT_TOKEN: 'xoxp-user-token',
      EMAIL_QUEUE_CRON: 'every minute',
      DIGEST_TZ: 'Mars/Olympus',
      MANAGER_EMAILS: 'boss',
      TECHNICIAN_USER_IDS: 'alice',
      STATUS_PAGE_USER: 'admin',
    });
    const named = problems.map((p) => p.split(':')[0]);
    expect(named).toEqual(
      expect.arrayContaining([
        'PORT',
        'DATABASE_URL',
        'SLACK_BOT_TOKEN',
        'EMAIL_QUEUE_CRON',
        'DIGEST_TZ',
        'MANAGER_EMAILS.0',
        'TECHNICIAN_USER_IDS.0',
      ]),
    );
    expect(problems.find((p) => p.startsWith('DATABASE_URL'))).toContain('mysql://');
  });

  it('checks settings that go together', () => {
    expect(problemsOf({ SLACK_BOT_TOKEN: 'xoxb-1' }).join('\n')).toMatch(/SLACK_SIGNING_SECRET: .*set both/);
    expect(problemsOf({ SLACK_APP_TOKEN: 'xapp-1' }).join('\n')).toMatch(/SLACK_BOT_TOKEN: Socket Mode/);
    expect(problemsOf({ STATUS_PAGE_PASSWORD: 'pw' }).join('\n')).toMatch(/STATUS_PAGE_USER/);
  });

  it('never echoes secret values in its messages', () => {
    const problems = problemsOf({ SLACK_BOT_TOKEN: 'xoxp-very-secret', SMTP_URL: 'ftp://user:hunter2@host' });
    expect(problems.join('\n')).not.toMatch(/very-secret|hunter2/);
    expect(problemsOf({ PORT: 'eighty' }).join('\n')).toContain('"eighty"');
  });
});
