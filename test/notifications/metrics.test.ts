import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { startTicketbot, type Ticketbot } from '../../src/server.js';
import { TestSmtpServer } from '../support/smtpServer.js';
import { openTicket, servicesWithPeople, TECHNICIAN, tempDir, testConfig } from './support.js';

async function metric(bot: Ticketbot, line: RegExp): Promise<string | undefined> {
  const body = await (await fetch(`${bot.url}/metrics`)).text();
  return body.split('\n').find((row) => line.test(row));
}

describe('email delivery in /metrics', () => {
  let smtp: TestSmtpServer;
  let bot: Ticketbot;
  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    const dir = tempDir('ticketbot-metrics-');
    bot = await startTicketbot(
      // PUBLIC_URL is not this machine: ticketbot starts only with a sign-in; /metrics still
      // answers this machine directly.
      testConfig({
        PORT: '0',
        DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
        SMTP_URL: smtp.url,
        STATUS_PAGE_USER: 'ops',
        STATUS_PAGE_PASSWORD: 'ops-password',
      }),
      createLogger('silent'),
    );
  });
  afterAll(async () => {
    await bot?.stop();
    await smtp?.down();
  });

  it('counts emails the drain sent and gave up on', async () => {
    const services = await servicesWithPeople(bot.db);
    // The running app's hooks queue the mail; the people only need their emails in the table.
    const running = { ...services, hooks: bot.services.hooks };
    smtp.inject({ kind: 'reply', code: 550, message: 'No such mailbox' });
    await openTicket(running, { technicianId: TECHNICIAN });
    await openTicket(running, { technicianId: TECHNICIAN });
    await smtp.waitFor(() => smtp.received.length === 1);
    const deadline = Date.now() + 15_000;
    while ((await bot.db.models.EmailOutbox.count({ where: { status: ['sent', 'dead'] } })) < 2) {
      if (Date.now() > deadline) throw new Error('the outbox did not settle');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await metric(bot, /^ticketbot_emails_sent_total /)).toBe('ticketbot_emails_sent_total 1');
    expect(await metric(bot, /^ticketbot_emails_failed_total\{outcome="dead"\}/)).toBe(
      'ticketbot_emails_failed_total{outcome="dead"} 1',
    );
    expect(await metric(bot, /^ticketbot_email_outbox\{status="dead"\}/)).toBe(
      'ticketbot_email_outbox{status="dead"} 1',
    );
  });
});
