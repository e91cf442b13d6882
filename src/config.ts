import { validate as validateCron } from 'node-cron';
import { z } from 'zod';

// The only module that reads the environment. Every problem is listed at once so an
// admin fixes the whole .env in one go instead of one restart per mistake.

const userIdList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== ''),
  )
  .pipe(z.array(z.string().regex(/^[UW][A-Z0-9]+$/, 'Slack user ids look like U0123ABCD')));

const emailList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((address) => address.trim())
      .filter((address) => address !== ''),
  )
  .pipe(z.array(z.email('each entry must be an email address')));

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

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_URL: z
      .url('must be a full URL such as https://helpdesk.example.com')
      .default('http://localhost:3000'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

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
    EMAIL_TEMPLATES_DIR: optionalText,
    DIGEST_CRON: cronExpression('0 8 * * 1-5'),
    DIGEST_TZ: z.string().default('UTC').refine(isTimeZone, 'not a time zone name such as Europe/Paris'),
    MANAGER_EMAILS: emailList,

    STATUS_PAGE_USER: optionalText,
    STATUS_PAGE_PASSWORD: optionalText,
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
    },
    // Also when other fields failed, so one run reports every problem. The rules only look at
    // whether values are present, which holds for unparsed input too.
    { when: () => true },
  );

type ParsedEnv = z.infer<typeof configSchema>;

export interface Config {
  env: ParsedEnv['NODE_ENV'];
  port: number;
  publicUrl: string;
  logLevel: ParsedEnv['LOG_LEVEL'];
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
  statusPage: { user?: string; password?: string };
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
        given !== undefined && !/TOKEN|SECRET|PASSWORD|SMTP_URL|DATABASE_URL/.test(name)
          ? ` (got "${given}")`
          : '';
      return `${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError(problems);
  }
  const env = result.data;
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    publicUrl: env.PUBLIC_URL.replace(/\/+$/, ''),
    logLevel: env.LOG_LEVEL,
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
    statusPage: { user: env.STATUS_PAGE_USER, password: env.STATUS_PAGE_PASSWORD },
  };
}
