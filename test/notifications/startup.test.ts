import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/index.js';
import { migrateUp } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import { startNotifications, storedAddressBook } from '../../src/notifications/index.js';
import { EmailTemplateError } from '../../src/notifications/templates/index.js';
import { startTicketbot } from '../../src/server.js';
import { texts } from '../support/texts.js';
import { openTicket, servicesWithPeople, TECHNICIAN, tempDir, testConfig } from './support.js';

describe('email at start-up', () => {
  it('without SMTP_URL writes each email as an .eml file in the outbox folder', async () => {
    const dir = tempDir('ticketbot-eml-');
    const db = createDatabase(`sqlite:${join(dir, 'db.sqlite')}`);
    await migrateUp(db);
    const services = await servicesWithPeople(db);
    const outboxDir = join(dir, 'outbox');
    const notifications = await startNotifications(
      {
        config: testConfig(),
        texts,
        services,
        logger: createLogger('silent'),
        addressBook: storedAddressBook(db),
      },
      { schedule: false, outboxDir },
    );
    try {
      const ticket = await openTicket(services, { technicianId: TECHNICIAN });
      await notifications.drainer.drain();
      const files = readdirSync(outboxDir);
      expect(files).toHaveLength(1);
      const [row] = await db.models.EmailOutbox.findAll();
      // When it was sent, then the outbox row: another database's row 1 never overwrites this one.
      expect(files[0]).toMatch(
        new RegExp(`^\\d{8}-\\d{6}-${String(row!.id).padStart(8, '0')}-ticket_assigned\\.eml$`),
      );
      const mail = await simpleParser(readFileSync(join(outboxDir, files[0]!)));
      expect(mail.subject).toBe(`[#${ticket.id}] Assigned to you: Printer <jams> & smokes`);
      expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('sam@example.com');
      expect(mail.text).toContain('Sam Lee');
      expect(row?.status).toBe('sent');
      expect(mail.messageId).toBe(row?.messageId);
    } finally {
      await notifications.stop();
      await db.close();
    }
  });

  it('refuses to start ticketbot with a broken template override, naming the file', async () => {
    const dir = tempDir('ticketbot-broken-');
    const overrides = join(dir, 'emails');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(overrides, 'ticket_closed'), { recursive: true });
    writeFileSync(join(overrides, 'ticket_closed', 'subject.pug'), '!= t(');
    const config = testConfig({
      PORT: '0',
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      EMAIL_TEMPLATES_DIR: overrides,
    });
    const started = startTicketbot(config, createLogger('silent'));
    await expect(started).rejects.toBeInstanceOf(EmailTemplateError);
    await expect(started).rejects.toThrow(join(overrides, 'ticket_closed', 'subject.pug'));
  });
});
