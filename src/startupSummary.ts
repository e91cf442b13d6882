import { type Config, isLoopbackHost } from './config.js';
import { redactUrl } from './logger.js';
import type { Mailer } from './notifications/mailer.js';
import { businessDayMinutes } from './sla/businessTime.js';
import { SLA_PRIORITIES } from './sla/policy.js';
import { NOT_CONNECTED, SLACK_EVENTS_PATH } from './slack/index.js';

/** What ticketbot found out while starting, for the lines that tell a person what is running. */
export interface StartupFacts {
  config: Config;
  /** Where it listens, `http://127.0.0.1:3000`. */
  url: string;
  /** The Slack side, when it is configured and connected. */
  slack: { mode: 'http' | 'socket'; teamName: string | undefined } | undefined;
  mailer: Pick<Mailer, 'kind' | 'destination'>;
  database: { dialect: string; applied: string[] };
}

/** One start-up line: the words for a person, and the same facts as fields for a machine. */
export interface StartupLine {
  msg: string;
  startup: Record<string, unknown>;
}

/**
 * The first lines `npm start` prints once it listens: where the status page is, whether Slack is
 * connected (and how to connect it), where emails go, who may open the page, which database.
 * Nothing secret: connection URLs lose their credentials, tokens are only named.
 */
export function startupSummary(facts: StartupFacts): StartupLine[] {
  const { config, url } = facts;
  const linksElsewhere = !sameAddress(new URL(config.publicUrl), new URL(url));
  return [
    {
      msg: `ticketbot is listening on ${url}/${linksElsewhere ? `; links in Slack and emails point at PUBLIC_URL, ${config.publicUrl}` : ''}`,
      startup: { part: 'web', url, host: config.host, publicUrl: config.publicUrl },
    },
    slackLine(facts),
    emailLine(facts),
    statusPageLine(config),
    {
      msg: `database: ${redactUrl(config.databaseUrl)}, ${
        facts.database.applied.length > 0
          ? `${facts.database.applied.length} migrations applied`
          : 'schema up to date'
      }`,
      startup: {
        part: 'database',
        database: redactUrl(config.databaseUrl),
        dialect: facts.database.dialect,
        applied: facts.database.applied,
      },
    },
    serviceLevelLine(config),
  ];
}

/** Whether tickets get clocks, on what hours, and how often the warnings are looked for. */
function serviceLevelLine(config: Config): StartupLine {
  const policy = config.sla;
  if (!policy) {
    return {
      msg: 'service levels: off (SLA_ENABLED=false), tickets get no clocks',
      startup: { part: 'service levels', enabled: false },
    };
  }
  const { calendar } = policy;
  const day = businessDayMinutes(calendar);
  const span = (minutes: number) =>
    minutes % day === 0 ? `${minutes / day}d` : minutes % 60 === 0 ? `${minutes / 60}h` : `${minutes}m`;
  const clock = (minute: number) =>
    `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
  const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const days = [...calendar.workingDays]
    .sort((a, b) => a - b)
    .map((weekday) => weekdays[weekday - 1])
    .join(' ');
  const targets = SLA_PRIORITIES.toReversed()
    .map((priority) => {
      const target = policy.targets[priority];
      return `${priority} ${span(target.responseMinutes)}/${span(target.resolutionMinutes)}`;
    })
    .join(', ');
  return {
    msg: `service levels: ${days}, ${clock(calendar.startMinute)}–${clock(calendar.endMinute)} in ${calendar.timeZone}, ${calendar.holidays.size} holidays; targets (first response/resolution) ${targets}; warnings looked for on "${config.slaJobCron}"`,
    startup: {
      part: 'service levels',
      enabled: true,
      timeZone: calendar.timeZone,
      workingDays: [...calendar.workingDays].sort((a, b) => a - b),
      workingHours: `${clock(calendar.startMinute)}-${clock(calendar.endMinute)}`,
      holidays: calendar.holidays.size,
      jobCron: config.slaJobCron,
    },
  };
}

/** The same place: one origin, or this machine on one port (`localhost` and `127.0.0.1` alike). */
function sameAddress(a: URL, b: URL): boolean {
  if (a.origin === b.origin) return true;
  return (
    a.protocol === b.protocol && a.port === b.port && isLoopbackHost(a.hostname) && isLoopbackHost(b.hostname)
  );
}

function slackLine({ config, slack }: StartupFacts): StartupLine {
  if (!slack) return { msg: NOT_CONNECTED, startup: { part: 'slack', connected: false } };
  const workspace = slack.teamName ? ` to the workspace ${slack.teamName}` : '';
  const startup = { part: 'slack', connected: true, mode: slack.mode, workspace: slack.teamName };
  if (slack.mode === 'socket') {
    return {
      msg: `Slack connected${workspace} in Socket Mode (an outbound WebSocket, no public URL needed)`,
      startup,
    };
  }
  const requestUrl = `${config.publicUrl}${SLACK_EVENTS_PATH}`;
  return {
    msg: `Slack connected${workspace} in HTTP mode: the app's request URLs must be ${requestUrl}`,
    startup: { ...startup, requestUrl },
  };
}

function emailLine({ config, slack, mailer }: StartupFacts): StartupLine {
  const where =
    mailer.kind === 'smtp'
      ? `emails are sent through the SMTP server ${mailer.destination}`
      : `SMTP_URL is not set, so emails are written as .eml files to ${mailer.destination}`;
  // Without Slack, a requester's or technician's address is known only if it is already stored.
  const addresses = slack
    ? ''
    : '; without Slack, only MANAGER_EMAILS and the addresses already stored are known';
  return {
    msg: `${where}${addresses}`,
    startup: {
      part: 'email',
      transport: mailer.kind,
      destination: mailer.destination,
      from: config.mail.from,
      queueCron: config.mail.queueCron,
      digestCron: config.digest.cron,
      digestTimeZone: config.digest.timeZone,
      managers: config.digest.managerEmails.length,
    },
  };
}

/** Who gets into the status page, so a set-up mistake shows at once. */
function statusPageLine(config: Config): StartupLine {
  const startup = { part: 'status page', signIn: config.signIn.mode };
  if (config.signIn.mode === 'slack') return { msg: 'status page: people sign in with Slack', startup };
  if (config.signIn.mode === 'basic') {
    return {
      msg: 'status page: one shared password (Basic auth); everyone who has it sees what an admin sees',
      startup,
    };
  }
  return {
    msg: 'status page: no sign-in set up, so it answers only a browser on this machine (see "Security" in README.md)',
    startup,
  };
}
