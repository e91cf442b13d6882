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
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.password',
  '*.smtpUrl',
  '*.databaseUrl',
  '*.authorization',
  'req.headers.authorization',
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

/** Hides the password part of a connection URL so it can be logged. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:[redacted]@');
}
