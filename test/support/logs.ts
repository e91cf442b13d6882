import { Writable } from 'node:stream';
import { createLogger, type LogFormat, type Logger } from '../../src/logger.js';

/** A logger whose lines a test reads back: as written, and (JSON lines) parsed. */
export interface CapturedLogs {
  logger: Logger;
  /** Every line as it was written, in order. */
  lines: string[];
  /** The same lines parsed, when the format is JSON (empty for pretty lines). */
  entries: Array<Record<string, unknown>>;
}

export function captureLogs(level = 'info', format: LogFormat = 'json'): CapturedLogs {
  const lines: string[] = [];
  const entries: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      const line = String(chunk);
      lines.push(line);
      if (format === 'json') entries.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(level, stream, format), lines, entries };
}
