import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { problemsFrom } from './support/problems.js';

const problemsOf = (env: Record<string, string>) => problemsFrom(() => loadConfig(env), ConfigError);

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
      host: '127.0.0.1',
      trustProxy: [],
      signIn: { mode: 'loopback' },
      metricsToken: undefined,
      slaJobCron: '30 * * * * *',
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
      SLA_JOB_SCHEDULE: '61 * * * * *',
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
        'SLA_JOB_SCHEDULE',
        'DIGEST_TZ',
        'MANAGER_EMAILS.0',
        'TECHNICIAN_USER_IDS.0',
      ]),
    );
    expect(problems.find((p) => p.startsWith('DATABASE_URL'))).toContain('mysql://');
  });

  it('reads how people sign in: Sign in with Slack, a shared password, or neither', () => {
    const slack = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'shh',
      SLACK_CLIENT_ID: '2141029472.691202649728',
      SLACK_CLIENT_SECRET: 'client-secret',
      SESSION_IDLE_HOURS: '2',
      SESSION_MAX_DAYS: '1',
      HOST: '0.0.0.0',
      TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,fd00::/8',
    });
    expect(slack.signIn).toEqual({
      mode: 'slack',
      clientId: '2141029472.691202649728',
      clientSecret: 'client-secret',
      issuer: 'https://slack.com',
      sessionIdleMs: 2 * 3_600_000,
      sessionMaxMs: 86_400_000,
    });
    expect(slack.host).toBe('0.0.0.0');
    expect(slack.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', 'fd00::/8']);
    // GovSlack (or the test Slack): the issuer is the Web API's origin.
    const gov = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'shh',
      SLACK_API_URL: 'https://slack-gov.com/api/',
      SLACK_CLIENT_ID: '1.2',
      SLACK_CLIENT_SECRET: 's',
    });
    expect(gov.signIn).toMatchObject({ issuer: 'https://slack-gov.com' });
    const basic = loadConfig({ STATUS_PAGE_USER: 'ops', STATUS_PAGE_PASSWORD: 'pw', HOST: '::' });
    expect(basic.signIn).toEqual({ mode: 'basic', user: 'ops', password: 'pw' });
    expect(loadConfig({ METRICS_TOKEN: 'a'.repeat(32) }).metricsToken).toBe('a'.repeat(32));
  });

  it('refuses to listen beyond this machine, or to trust a proxy, with no sign-in set up', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'helpdesk.example.com']) {
      expect(problemsOf({ HOST: host }).join('\n'), host).toMatch(
        /HOST: listening beyond this machine needs a sign-in/,
      );
    }
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost'])
      expect(loadConfig({ HOST: host }).host).toBe(host);
    expect(problemsOf({ TRUST_PROXY: '127.0.0.1' }).join('\n')).toMatch(/TRUST_PROXY: behind a proxy/);
    expect(
      problemsOf({ TRUST_PROXY: 'loopback', STATUS_PAGE_USER: 'a', STATUS_PAGE_PASSWORD: 'b' }).join('\n'),
    ).toMatch(/TRUST_PROXY\.0: each entry must be an IP address or a CIDR block/);
    expect(
      problemsOf({ TRUST_PROXY: '10.0.0.0/33', STATUS_PAGE_USER: 'a', STATUS_PAGE_PASSWORD: 'b' }).length,
    ).toBe(1);
  });

  it('checks the sign-in settings that go together', () => {
    const slackApp = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'shh' };
    expect(problemsOf({ ...slackApp, SLACK_CLIENT_ID: '1.2' }).join('\n')).toMatch(
      /SLACK_CLIENT_SECRET: .*go together/,
    );
    expect(problemsOf({ SLACK_CLIENT_ID: '1.2', SLACK_CLIENT_SECRET: 's' }).join('\n')).toMatch(
      /SLACK_BOT_TOKEN: Sign in with Slack .* needs SLACK_BOT_TOKEN/,
    );
    expect(
      problemsOf({
        ...slackApp,
        SLACK_CLIENT_ID: '1.2',
        SLACK_CLIENT_SECRET: 's',
        STATUS_PAGE_USER: 'a',
        STATUS_PAGE_PASSWORD: 'b',
      }).join('\n'),
    ).toMatch(/choose one way to sign in/);
    expect(problemsOf({ METRICS_TOKEN: 'short' }).join('\n')).toMatch(/METRICS_TOKEN: use at least 24/);
    expect(problemsOf({ SESSION_IDLE_HOURS: '200', SESSION_MAX_DAYS: '1' }).join('\n')).toMatch(
      /SESSION_IDLE_HOURS/,
    );
    const secret = problemsOf({
      SLACK_CLIENT_SECRET: 'very-secret-client',
      METRICS_TOKEN: 'tiny-secret',
    }).join('\n');
    expect(secret).not.toMatch(/very-secret-client|tiny-secret/);
  });

  it('checks settings that go together', () => {
    expect(problemsOf({ SLACK_BOT_TOKEN: 'xoxb-1' }).join('\n')).toMatch(/SLACK_SIGNING_SECRET: .*set both/);
    expect(problemsOf({ SLACK_APP_TOKEN: 'xapp-1' }).join('\n')).toMatch(/SLACK_BOT_TOKEN: Socket Mode/);
    expect(problemsOf({ STATUS_PAGE_PASSWORD: 'pw' }).join('\n')).toMatch(/STATUS_PAGE_USER/);
  });

  it('reads the service levels: on by default, business hours Mon-Fri 09:00-17:00 UTC', () => {
    const { sla } = loadConfig({});
    expect(sla?.calendar).toEqual({
      timeZone: 'UTC',
      workingDays: new Set([1, 2, 3, 4, 5]),
      startMinute: 540,
      endMinute: 1020,
      holidays: new Set(),
    });
    // A business day is the working hours' length: 8 h by default.
    expect(sla?.targets).toEqual({
      urgent: { responseMinutes: 60, resolutionMinutes: 240 },
      high: { responseMinutes: 240, resolutionMinutes: 480 },
      normal: { responseMinutes: 480, resolutionMinutes: 3 * 480 },
      low: { responseMinutes: 2 * 480, resolutionMinutes: 5 * 480 },
    });
    const custom = loadConfig({
      SLA_TIMEZONE: 'Europe/Paris',
      SLA_WORKING_DAYS: 'Mon-Thu',
      SLA_WORKING_HOURS: '08:30-16:00',
      SLA_HOLIDAYS: '2026-12-25,2027-01-01',
      SLA_TARGETS_NORMAL: '2h/2d',
    });
    expect(custom.sla?.calendar).toMatchObject({
      timeZone: 'Europe/Paris',
      startMinute: 510,
      endMinute: 960,
    });
    expect([...(custom.sla?.calendar.holidays ?? [])]).toEqual(['2026-12-25', '2027-01-01']);
    expect(custom.sla?.targets.normal).toEqual({ responseMinutes: 120, resolutionMinutes: 2 * 450 });
    expect(loadConfig({ SLA_ENABLED: 'false' }).sla).toBeUndefined();
  });

  it('lists every problem in the service-level settings', () => {
    const problems = problemsOf({
      SLA_ENABLED: 'maybe',
      SLA_TIMEZONE: 'Europe/Pariss',
      SLA_WORKING_DAYS: 'Mon-Fry',
      SLA_WORKING_HOURS: '17:00-09:00',
      SLA_HOLIDAYS: '2026-13-01',
      SLA_TARGETS_URGENT: '1 hour/4h',
      SLA_TARGETS_LOW: '5d/2d',
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining([
        'SLA_ENABLED',
        'SLA_TIMEZONE',
        'SLA_WORKING_DAYS',
        'SLA_WORKING_HOURS',
        'SLA_HOLIDAYS',
        'SLA_TARGETS_URGENT',
        'SLA_TARGETS_LOW',
      ]),
    );
    expect(problems.find((p) => p.startsWith('SLA_WORKING_DAYS'))).toContain('"Fry" is not a weekday');
    expect(problems.find((p) => p.startsWith('SLA_TARGETS_URGENT'))).toContain('such as 30m, 4h, 1d');
    expect(problems.find((p) => p.startsWith('SLA_TARGETS_LOW'))).toContain('cannot be shorter');
  });

  it('reads LOG_FORMAT: pretty or json, unset to follow the terminal', () => {
    expect(loadConfig({}).logFormat).toBeUndefined();
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(problemsOf({ LOG_FORMAT: 'text' }).join('\n')).toMatch(
      /LOG_FORMAT: .*"pretty".*"json".*\(got "text"\)/,
    );
  });

  it('never echoes secret values in its messages', () => {
    const problems = problemsOf({ SLACK_BOT_TOKEN: 'xoxp-very-secret', SMTP_URL: 'ftp://user:hunter2@host' });
    expect(problems.join('\n')).not.toMatch(/very-secret|hunter2/);
    expect(problemsOf({ PORT: 'eighty' }).join('\n')).toContain('"eighty"');
  });
});
