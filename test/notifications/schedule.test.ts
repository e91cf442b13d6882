import { expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { startNotifications, storedAddressBook } from '../../src/notifications/index.js';
import { smtpMailer } from '../../src/notifications/mailer.js';
import { describeEachDatabase } from '../support/db.js';
import { texts } from '../support/texts.js';
import { openTicket, outboxRows, TECHNICIAN, testConfig, useMailServer } from './support.js';

const DAY = 24 * 60 * 60_000;

describeEachDatabase('the email schedule', (suite) => {
  const { smtp, services } = useMailServer(suite);

  it('drains on EMAIL_QUEUE_CRON even without the wake-up after commit', async () => {
    const notifications = await startNotifications(
      {
        config: testConfig({ SMTP_URL: smtp.url, EMAIL_QUEUE_CRON: '* * * * * *' }),
        texts,
        services,
        logger: createLogger('silent'),
        addressBook: storedAddressBook(suite.db),
      },
      { wakeAfterCommit: false, mailer: smtpMailer(smtp.url) },
    );
    try {
      await openTicket(services, { technicianId: TECHNICIAN });
      await smtp.waitFor(() => smtp.received.length === 1);
      expect(smtp.received[0]?.envelopeTo).toEqual(['sam@example.com']);
    } finally {
      await notifications.stop();
    }
    const [row] = await outboxRows(suite.db);
    expect(row?.status).toBe('sent');
  });

  it('purges sent and dead emails past EMAIL_RETENTION_DAYS, never pending ones', async () => {
    const notifications = await startNotifications(
      {
        config: testConfig({ SMTP_URL: smtp.url }),
        texts,
        services,
        logger: createLogger('silent'),
        addressBook: storedAddressBook(suite.db),
      },
      { schedule: false, wakeAfterCommit: false, mailer: smtpMailer(smtp.url) },
    );
    try {
      await suite.db.models.EmailOutbox.destroy({ where: {} });
      for (let i = 0; i < 4; i++) await openTicket(services, { technicianId: TECHNICIAN, title: `Old ${i}` });
      const rows = await outboxRows(suite.db);
      const statuses = ['sent', 'dead', 'pending', 'sent'] as const;
      for (const [i, row] of rows.entries()) {
        await suite.db.models.EmailOutbox.update({ status: statuses[i]! }, { where: { id: row.id } });
      }
      // The first three were last touched 100 days ago; the fourth is recent.
      await suite.db.sequelize.query('UPDATE email_outbox SET updated_at = :old WHERE id IN (:ids)', {
        replacements: {
          old:
            suite.kind === 'mysql'
              ? new Date(Date.now() - 100 * DAY)
              : sqliteText(new Date(Date.now() - 100 * DAY)),
          ids: rows.slice(0, 3).map((row) => row.id),
        },
      });
      expect(await notifications.queue.purge(new Date(Date.now() - 90 * DAY))).toBe(2);
      expect((await outboxRows(suite.db)).map((row) => row.status)).toEqual(['pending', 'sent']);
    } finally {
      await notifications.stop();
    }
  });
});

function sqliteText(date: Date): string {
  return `${date.toISOString().replace('T', ' ').replace('Z', '')} +00:00`;
}
