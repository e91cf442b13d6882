import { type DestinationStream, type Logger, pino } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger } from 'pino';

// Paths pino blanks out wherever they appear in a log line; tokens and passwords never reach the logs.
const redactPaths = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'password',
  'smtpUrl',
  'databaseUrl',
  'authorization',
  'clientSecret',
  'metricsToken',
  'cookie',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.password',
  '*.smtpUrl',
  '*.databaseUrl',
  '*.authorization',
  '*.clientSecret',
  '*.metricsToken',
  '*.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-slack-signature"]',
  'headers.authorization',
];

/** `pretty`: a readable, coloured line per entry, for a person at a terminal; `json`: one object a line. */
export type LogFormat = 'pretty' | 'json';

/**
 * Readable lines on a terminal, JSON everywhere else (a pipe, a file, journald, a container's log
 * collector), where machines read the log; LOG_FORMAT says otherwise when set.
 */
export function chooseLogFormat(setting: LogFormat | undefined, isTerminal: boolean): LogFormat {
  return setting ?? (isTerminal ? 'pretty' : 'json');
}

/**
 * Standard output (or `destination`) as pino-pretty lines. Written synchronously, so the line
 * that says why ticketbot could not start is out before it exits. Colours follow the terminal
 * (none in a pipe; NO_COLOR and FORCE_COLOR are honoured).
 */
function prettyStream(destination?: DestinationStream): DestinationStream {
  return pinoPretty({
    destination: destination ?? 1,
    sync: true,
    translateTime: 'SYS:HH:MM:ss',
    singleLine: true,
    // `app` is on every line; `startup` repeats, for machines, what the start-up lines say in words.
    ignore: 'app,startup',
  });
}

export function createLogger(
  level: string,
  destination?: DestinationStream,
  format: LogFormat = 'json',
): Logger {
  return pino(
    {
      level,
      base: { app: 'ticketbot' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    format === 'pretty' ? prettyStream(destination) : destination,
  );
}

/** Query parameters that carry a secret in the URLs ticketbot is given. */
const SECRET_PARAMETER = /pass|secret|token|key|auth|sig|credential/i;

/**
 * A connection URL with its secrets hidden, so it can be logged: the password, and any query
 * parameter named like a secret (`?password=…`, `?ssl-key=…`). The URL is parsed, so a password
 * holding `@`, `:` or `/` is hidden whole; text that does not parse as a URL is not shown at all.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '[unparseable URL, hidden]';
  }
  // `sqlite:data/ticketbot.sqlite` and the like: no authority, nothing secret in it.
  if (!parsed.host && !url.slice(parsed.protocol.length).startsWith('//')) return url;
  const user = parsed.username;
  const credentials = parsed.password ? `${user}:[redacted]@` : user ? `${user}@` : '';
  const query = [...parsed.searchParams]
    .map(([name, value]) => `${name}=${SECRET_PARAMETER.test(name) ? '[redacted]' : value}`)
    .join('&');
  return `${parsed.protocol}//${credentials}${parsed.host}${parsed.pathname}${query ? `?${query}` : ''}`;
}
