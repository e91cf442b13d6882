import { isIP } from 'node:net';
import { validate as validateCron } from 'node-cron';
import { z } from 'zod';
import { isTimeZone } from './i18n/intl.js';
import { DEFAULT_TARGETS, SLA_PRIORITIES, type SlaPolicy } from './sla/policy.js';
import {
  calendarOf,
  parseHolidays,
  parseTarget,
  parseWorkingDays,
  parseWorkingHours,
} from './sla/settings.js';
import { SLACK_USER_ID } from './slackIds.js';

// The only module that reads the environment. Every problem is listed at once so an
// admin fixes the whole .env in one go instead of one restart per mistake.

/** A comma-separated list (empty when unset), each entry trimmed and checked by `entry`. */
const commaList = (entry: z.ZodType<string, string>) =>
  z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    )
    .pipe(z.array(entry));

const userIdList = commaList(z.string().regex(SLACK_USER_ID, 'Slack user ids look like U0123ABCD'));

const emailList = commaList(z.email('each entry must be an email address'));

const cronExpression = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(
      (value) => validateCron(value),
      'not a valid cron expression (node-cron syntax, seconds field allowed)',
    );

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .optional()
    .transform((value) =>
      value === undefined || value === '' ? fallback : ['true', '1', 'yes'].includes(value),
    );

/** A text checked by `parse`, which throws an Error saying what was expected. */
const parsedText = (fallback: string, parse: (value: string) => unknown) =>
  z
    .string()
    .default(fallback)
    .superRefine((value, ctx) => {
      try {
        parse(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    });

/** 127.0.0.0/8, ::1 and `localhost`: addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || /^::ffff:127\./.test(bare);
}

/** An address or a CIDR block (`10.0.0.0/8`, `fd00::/8`), as Express's `trust proxy` takes them. */
function isAddressOrCidr(value: string): boolean {
  const [address = '', bits, extra] = value.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

const proxyList = commaList(
  z.string().refine(isAddressOrCidr, 'each entry must be an IP address or a CIDR block such as 10.0.0.0/8'),
);

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z
      .string()
      .default('127.0.0.1')
      .refine(
        (value) => isIP(value.replace(/^\[|\]$/g, '')) !== 0 || /^[a-z0-9.-]+$/i.test(value),
        'an address to listen on, such as 127.0.0.1, 0.0.0.0 or ::',
      ),
    TRUST_PROXY: proxyList,
    PUBLIC_URL: z
      .url('must be a full URL such as https://helpdesk.example.com')
      .default('http://localhost:3000'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_FORMAT: z.enum(['pretty', 'json']).optional(),

    SLACK_BOT_TOKEN: optionalText.pipe(
      z.string().startsWith('xoxb-', 'a bot token starts with xoxb-').optional(),
    ),
    SLACK_SIGNING_SECRET: optionalText,
    SLACK_APP_TOKEN: optionalText.pipe(
      z.string().startsWith('xapp-', 'an app-level token starts with xapp-').optional(),
    ),
    SLACK_API_URL: optionalText.pipe(z.url('must be a URL such as https://slack.com/api/').optional()),
    HELPDESK_CHANNEL_ID: optionalText.pipe(
      z
        .string()
        .regex(/^[CGD][A-Z0-9]+$/, 'a channel id looks like C0123ABCD')
        .optional(),
    ),
    TECHNICIAN_USER_IDS: userIdList,
    ADMIN_USER_IDS: userIdList,

    DATABASE_URL: z
      .string()
      .default('sqlite:data/ticketbot.sqlite')
      .refine(
        (value) => /^(mysql|mariadb):\/\/.+/.test(value) || /^sqlite:.+/.test(value),
        'use mysql://user:password@host:3306/database or sqlite:path/to/file.sqlite',
      ),

    SMTP_URL: optionalText.pipe(
      z
        .string()
        .regex(/^smtps?:\/\/.+/, 'use smtp://user:password@host:587 or smtps://user:password@host:465')
        .optional(),
    ),
    MAIL_FROM: z.string().default('ticketbot <ticketbot@localhost>'),
    EMAIL_QUEUE_CRON: cronExpression('*/5 * * * * *'),
    EMAIL_NEW_TICKET_TO_MANAGERS: booleanFlag(false),
    EMAIL_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
    CLAIM_SECONDS: z.coerce.number().int().min(3).max(600).default(30),
    // Slack names emoji without colons in reaction_added ("reaction": "thumbsup",
    // https://docs.slack.dev/reference/events/reaction_added/); custom emoji names are lower case
    // letters, digits, '-' and '_'. `off` switches reaction intake off.
    INTAKE_EMOJI: z
      .string()
      .trim()
      .transform((name) => name.replace(/^:|:$/g, ''))
      .pipe(z.string().regex(/^[a-z0-9_+'-]*$/, 'an emoji name such as ticket or :ticket: (or off)'))
      .default('ticket'),
    EMAIL_TEMPLATES_DIR: optionalText,
    LOCALES_DIR: optionalText,
    DIGEST_CRON: cronExpression('0 8 * * 1-5'),
    DIGEST_TZ: z.string().default('UTC').refine(isTimeZone, 'not a time zone name such as Europe/Paris'),
    MANAGER_EMAILS: emailList,

    SLA_ENABLED: booleanFlag(true),
    SLA_TIMEZONE: z.string().default('UTC').refine(isTimeZone, 'not a time zone name such as Europe/Paris'),
    SLA_WORKING_DAYS: parsedText('Mon-Fri', parseWorkingDays),
    SLA_WORKING_HOURS: parsedText('09:00-17:00', parseWorkingHours),
    SLA_HOLIDAYS: parsedText('', parseHolidays),
    // The targets' day is the working hours' length, so they are read against those hours below.
    SLA_TARGETS_URGENT: z.string().default(DEFAULT_TARGETS.urgent),
    SLA_TARGETS_HIGH: z.string().default(DEFAULT_TARGETS.high),
    SLA_TARGETS_NORMAL: z.string().default(DEFAULT_TARGETS.normal),
    SLA_TARGETS_LOW: z.string().default(DEFAULT_TARGETS.low),
    SLA_JOB_SCHEDULE: cronExpression('30 * * * * *'),

    SLACK_CLIENT_ID: optionalText.pipe(
      z
        .string()
        .regex(/^\d+\.\d+$/, 'a Slack client id looks like 2141029472.691202649728')
        .optional(),
    ),
    SLACK_CLIENT_SECRET: optionalText,
    SESSION_IDLE_HOURS: z.coerce.number().int().min(1).max(720).default(12),
    SESSION_MAX_DAYS: z.coerce.number().int().min(1).max(90).default(7),

    STATUS_PAGE_USER: optionalText,
    STATUS_PAGE_PASSWORD: optionalText,
    METRICS_TOKEN: optionalText.pipe(
      z.string().min(24, 'use at least 24 random characters (openssl rand -hex 16)').optional(),
    ),
  })
  .superRefine(
    (env, ctx) => {
      const slackParts = [env.SLACK_BOT_TOKEN, env.SLACK_SIGNING_SECRET].filter(Boolean).length;
      if (slackParts === 1) {
        ctx.addIssue({
          code: 'custom',
          path: [env.SLACK_BOT_TOKEN ? 'SLACK_SIGNING_SECRET' : 'SLACK_BOT_TOKEN'],
          message:
            'SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET go together: set both to connect Slack, or neither',
        });
      }
      if (env.SLACK_APP_TOKEN && !env.SLACK_BOT_TOKEN) {
        ctx.addIssue({
          code: 'custom',
          path: ['SLACK_BOT_TOKEN'],
          message: 'Socket Mode (SLACK_APP_TOKEN) also needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET',
        });
      }
      if (Boolean(env.STATUS_PAGE_USER) !== Boolean(env.STATUS_PAGE_PASSWORD)) {
        ctx.addIssue({
          code: 'custom',
          path: [env.STATUS_PAGE_USER ? 'STATUS_PAGE_PASSWORD' : 'STATUS_PAGE_USER'],
          message: 'STATUS_PAGE_USER and STATUS_PAGE_PASSWORD go together',
        });
      }
      const slackSignIn = Boolean(env.SLACK_CLIENT_ID || env.SLACK_CLIENT_SECRET);
      if (Boolean(env.SLACK_CLIENT_ID) !== Boolean(env.SLACK_CLIENT_SECRET)) {
        ctx.addIssue({
          code: 'custom',
          path: [env.SLACK_CLIENT_ID ? 'SLACK_CLIENT_SECRET' : 'SLACK_CLIENT_ID'],
          message:
            'SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together (Basic Information → App Credentials)',
        });
      }
      if (slackSignIn && !env.SLACK_BOT_TOKEN) {
        ctx.addIssue({
          code: 'custom',
          path: ['SLACK_BOT_TOKEN'],
          message:
            'Sign in with Slack (SLACK_CLIENT_ID) also needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET: the bot tells ticketbot which workspace may sign in',
        });
      }
      const basic = Boolean(env.STATUS_PAGE_USER || env.STATUS_PAGE_PASSWORD);
      if (slackSignIn && basic) {
        ctx.addIssue({
          code: 'custom',
          path: ['STATUS_PAGE_USER'],
          message:
            'choose one way to sign in: Sign in with Slack (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET) or one shared password (STATUS_PAGE_USER, STATUS_PAGE_PASSWORD), not both',
        });
      }
      const signIn = slackSignIn || basic;
      const host = typeof env.HOST === 'string' ? env.HOST : '127.0.0.1';
      if (!signIn && !isLoopbackHost(host)) {
        ctx.addIssue({
          code: 'custom',
          path: ['HOST'],
          message:
            'listening beyond this machine needs a sign-in: set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (Sign in with Slack) or STATUS_PAGE_USER and STATUS_PAGE_PASSWORD, or leave HOST unset (127.0.0.1)',
        });
      }
      // Parsed (a list) or not (the raw text, when another field failed): either way, "given".
      const proxies = env.TRUST_PROXY as unknown;
      const anyProxy = Array.isArray(proxies) ? proxies.length > 0 : String(proxies ?? '').trim() !== '';
      if (!signIn && anyProxy) {
        ctx.addIssue({
          code: 'custom',
          path: ['TRUST_PROXY'],
          message:
            'behind a proxy every visitor would reach the page: set up a sign-in (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, or STATUS_PAGE_USER and STATUS_PAGE_PASSWORD) before TRUST_PROXY',
        });
      }
      const hours = (() => {
        try {
          return parseWorkingHours(String(env.SLA_WORKING_HOURS ?? '09:00-17:00'));
        } catch {
          return undefined; // reported on SLA_WORKING_HOURS itself
        }
      })();
      for (const priority of SLA_PRIORITIES) {
        const name = targetSetting(priority);
        try {
          parseTarget(String(env[name] ?? DEFAULT_TARGETS[priority]), dayLength(hours));
        } catch (error) {
          ctx.addIssue({ code: 'custom', path: [name], message: (error as Error).message });
        }
      }
      const idle = Number(env.SESSION_IDLE_HOURS ?? 12);
      const max = Number(env.SESSION_MAX_DAYS ?? 7);
      if (idle > max * 24) {
        ctx.addIssue({
          code: 'custom',
          path: ['SESSION_IDLE_HOURS'],
          message: 'a session cannot stay idle longer than it may last (SESSION_MAX_DAYS)',
        });
      }
    },
    // Also when other fields failed, so one run reports every problem. The rules only look at
    // whether values are present, which holds for unparsed input too.
    { when: () => true },
  );

type ParsedEnv = z.infer<typeof configSchema>;

function targetSetting(priority: (typeof SLA_PRIORITIES)[number]) {
  return `SLA_TARGETS_${priority.toUpperCase()}` as `SLA_TARGETS_${Uppercase<typeof priority>}`;
}

/** One business day: the working hours' length (8 h while they are unreadable). */
function dayLength(hours: { startMinute: number; endMinute: number } | undefined): number {
  return hours ? hours.endMinute - hours.startMinute : 480;
}

function slaPolicyOf(env: ParsedEnv): SlaPolicy | undefined {
  if (!env.SLA_ENABLED) return undefined;
  const calendar = calendarOf({
    timeZone: env.SLA_TIMEZONE,
    workingDays: env.SLA_WORKING_DAYS,
    workingHours: env.SLA_WORKING_HOURS,
    holidays: env.SLA_HOLIDAYS,
  });
  const day = dayLength(calendar);
  const targets = Object.fromEntries(
    SLA_PRIORITIES.map((priority) => [priority, parseTarget(env[targetSetting(priority)], day)]),
  ) as SlaPolicy['targets'];
  return { calendar, targets };
}

/** How people reach the status page: see "Security" in README.md. */
export type SignIn =
  | {
      mode: 'slack';
      clientId: string;
      clientSecret: string;
      /** Sign in with Slack's OpenID Connect issuer: the origin of SLACK_API_URL, else https://slack.com. */
      issuer: string;
      sessionIdleMs: number;
      sessionMaxMs: number;
    }
  | { mode: 'basic'; user: string; password: string }
  | { mode: 'loopback' };

export interface Config {
  env: ParsedEnv['NODE_ENV'];
  port: number;
  /** The address the server listens on; beyond loopback only with a sign-in. */
  host: string;
  /** Proxies whose X-Forwarded-For is believed (addresses or CIDR blocks); empty: none. */
  trustProxy: string[];
  publicUrl: string;
  logLevel: ParsedEnv['LOG_LEVEL'];
  /** Readable lines or one JSON object per line; unset: readable on a terminal, JSON elsewhere. */
  logFormat?: ParsedEnv['LOG_FORMAT'];
  slack:
    | {
        mode: 'http' | 'socket';
        botToken: string;
        signingSecret: string;
        appToken?: string;
        apiUrl?: string;
      }
    | undefined;
  helpdeskChannelId?: string;
  roster: { technicianIds: string[]; adminIds: string[] };
  databaseUrl: string;
  mail: {
    smtpUrl?: string;
    from: string;
    queueCron: string;
    newTicketToManagers: boolean;
    retentionDays: number;
    templatesDir?: string;
  };
  digest: { cron: string; timeZone: string; managerEmails: string[] };
  /** A folder of language folders laid over locales/: more languages, texts replaced key by key. */
  localesDir?: string;
  statusPage: { user?: string; password?: string };
  signIn: SignIn;
  /** Bearer token Prometheus presents at /metrics. */
  metricsToken?: string;
  /**
   * How long work a process holds (Slack requests it acknowledged) stays its own without its
   * heartbeat: after a crash the other replicas take it over within this and a third more.
   */
  claimMs: number;
  /** Reacting with this emoji (no colons) to a message opens a ticket from it; undefined: off. */
  intakeEmoji?: string;
  /** Service-level targets in business hours; undefined: SLA_ENABLED=false, no clocks at all. */
  sla?: SlaPolicy;
  /** When the SLA job looks for warnings and breaches (node-cron; every minute at its 30th second). */
  slaJobCron: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws ConfigError listing every problem. */
export function loadConfig(source: Record<string, string | undefined>): Config {
  // A blank value means "not set": .env.example is copied to .env with lines left empty
  // (`DATABASE_URL=`), which would otherwise be refused or, for PORT, read as 0.
  const set = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const result = configSchema.safeParse(set);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const given = typeof issue.path[0] === 'string' ? source[issue.path[0]] : undefined;
      // Never echo values of secret settings back into logs.
      const shown =
        given !== undefined && !/TOKEN|SECRET|PASSWORD|SMTP_URL|DATABASE_URL|STATUS_PAGE_USER/.test(name)
          ? ` (got "${given}")`
          : '';
      return `${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError(problems);
  }
  const env = result.data;
  const signIn: SignIn =
    env.SLACK_CLIENT_ID && env.SLACK_CLIENT_SECRET
      ? {
          mode: 'slack',
          clientId: env.SLACK_CLIENT_ID,
          clientSecret: env.SLACK_CLIENT_SECRET,
          // GovSlack and tests point SLACK_API_URL elsewhere; Slack's issuer is its API's origin.
          issuer: new URL(env.SLACK_API_URL ?? 'https://slack.com/api/').origin,
          sessionIdleMs: env.SESSION_IDLE_HOURS * 3_600_000,
          sessionMaxMs: env.SESSION_MAX_DAYS * 86_400_000,
        }
      : env.STATUS_PAGE_USER && env.STATUS_PAGE_PASSWORD
        ? { mode: 'basic', user: env.STATUS_PAGE_USER, password: env.STATUS_PAGE_PASSWORD }
        : { mode: 'loopback' };
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST.replace(/^\[|\]$/g, ''),
    trustProxy: env.TRUST_PROXY,
    publicUrl: env.PUBLIC_URL.replace(/\/+$/, ''),
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
    slack:
      env.SLACK_BOT_TOKEN && env.SLACK_SIGNING_SECRET
        ? {
            mode: env.SLACK_APP_TOKEN ? 'socket' : 'http',
            botToken: env.SLACK_BOT_TOKEN,
            signingSecret: env.SLACK_SIGNING_SECRET,
            appToken: env.SLACK_APP_TOKEN,
            apiUrl: env.SLACK_API_URL,
          }
        : undefined,
    helpdeskChannelId: env.HELPDESK_CHANNEL_ID,
    roster: { technicianIds: env.TECHNICIAN_USER_IDS, adminIds: env.ADMIN_USER_IDS },
    databaseUrl: env.DATABASE_URL,
    mail: {
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      queueCron: env.EMAIL_QUEUE_CRON,
      newTicketToManagers: env.EMAIL_NEW_TICKET_TO_MANAGERS,
      retentionDays: env.EMAIL_RETENTION_DAYS,
      templatesDir: env.EMAIL_TEMPLATES_DIR,
    },
    digest: { cron: env.DIGEST_CRON, timeZone: env.DIGEST_TZ, managerEmails: env.MANAGER_EMAILS },
    localesDir: env.LOCALES_DIR,
    statusPage: { user: env.STATUS_PAGE_USER, password: env.STATUS_PAGE_PASSWORD },
    signIn,
    metricsToken: env.METRICS_TOKEN,
    claimMs: env.CLAIM_SECONDS * 1000,
    intakeEmoji: env.INTAKE_EMOJI === 'off' ? undefined : env.INTAKE_EMOJI,
    sla: slaPolicyOf(env),
    slaJobCron: env.SLA_JOB_SCHEDULE,
  };
}
