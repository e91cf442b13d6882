import { describe, expect, it } from 'vitest';
import { chooseLogFormat, type LogFormat, redactUrl } from '../src/logger.js';
import { captureLogs } from './support/logs.js';

const capture = (format: LogFormat = 'json') => captureLogs('info', format);

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

  it('parses the URL to hide its secrets, where a pattern would have shown part of them', () => {
    // An unescaped @ in the password: the password is everything up to the last @.
    expect(redactUrl('mysql://app:p@ss@db:3306/ticketbot')).toBe('mysql://app:[redacted]@db:3306/ticketbot');
    expect(redactUrl('smtps://mailer:s3cr%3At@smtp.example.com:465')).toBe(
      'smtps://mailer:[redacted]@smtp.example.com:465',
    );
    expect(redactUrl('mysql://db:3306/ticketbot?user=app&password=hunter2&ssl-key=k')).toBe(
      'mysql://db:3306/ticketbot?user=app&password=[redacted]&ssl-key=[redacted]',
    );
    expect(redactUrl('mysql://root@127.0.0.1:3306/')).toBe('mysql://root@127.0.0.1:3306/');
    // Not a URL at all (a / in an unescaped password breaks it): nothing of it is shown.
    expect(redactUrl('mysql://app:pa/ss@db/ticketbot')).toBe('[unparseable URL, hidden]');
    for (const url of [
      'mysql://app:p@ss@db/x',
      'mysql://app:pa/ss@db/x',
      'smtp://u:top-secret@h?token=t0k3n',
    ]) {
      expect(redactUrl(url)).not.toMatch(/p@ss|pa\/ss|top-secret|t0k3n/);
    }
  });

  it('blanks out session cookies and Sign in with Slack secrets', () => {
    const { logger, lines } = capture();
    logger.info(
      { headers: { cookie: 'ticketbot_session=abc' }, signIn: { clientSecret: 'cs-1' }, metricsToken: 'm-2' },
      'x',
    );
    expect(lines[0]).not.toMatch(/ticketbot_session=abc|cs-1|m-2/);
  });

  it('is readable on a terminal and JSON elsewhere, unless LOG_FORMAT says', () => {
    expect(chooseLogFormat(undefined, true)).toBe('pretty');
    expect(chooseLogFormat(undefined, false)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
  });

  it('writes readable lines with the same secrets blanked out, and the start-up fields left to JSON', () => {
    const { logger, lines } = capture('pretty');
    logger.info({ token: 'xoxb-111', mail: { smtpUrl: 'smtp://u:p@host' }, ticketId: 7 }, 'configured');
    logger.info({ startup: { part: 'web', url: 'http://127.0.0.1:3000' } }, 'ticketbot is listening');
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: configured \{.*"ticketId":7.*\}\n$/);
    expect(lines[0]).toContain('"token":"[redacted]"');
    expect(lines[0]).not.toMatch(/xoxb-111|u:p@host/);
    expect(lines[1]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: ticketbot is listening\n$/);
  });
});
