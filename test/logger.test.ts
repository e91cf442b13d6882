import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from '../src/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

describe('logger', () => {
  it('blanks out tokens, secrets and passwords wherever they sit in a log line', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        token: 'xoxb-111',
        slack: { botToken: 'xoxb-222', signingSecret: 'sign-333', appToken: 'xapp-444' },
        statusPage: { password: 'hunter2' },
        mail: { smtpUrl: 'smtp://u:p@host' },
        ticketId: 7,
      },
      'configured',
    );
    const [line] = lines;
    expect(line).not.toMatch(/xoxb-111|xoxb-222|sign-333|xapp-444|hunter2|u:p@host/);
    expect(JSON.parse(line!)).toMatchObject({
      ticketId: 7,
      token: '[redacted]',
      slack: { botToken: '[redacted]' },
    });
  });

  it('hides the password in a connection URL', () => {
    expect(redactUrl('mysql://app:s3cret@db:3306/ticketbot')).toBe(
      'mysql://app:[redacted]@db:3306/ticketbot',
    );
    expect(redactUrl('sqlite:data/ticketbot.sqlite')).toBe('sqlite:data/ticketbot.sqlite');
  });
});
