import { type DestinationStream, type Logger, pino } from 'pino';

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

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'ticketbot' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
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
