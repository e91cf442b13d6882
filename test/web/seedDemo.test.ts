import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoHelpdesk } from '../../src/cli/demoHelpdesk.js';
import { createLogger } from '../../src/logger.js';
import { loadEmailTemplates } from '../../src/notifications/templates/index.js';
import type { Notification } from '../../src/notifications/types.js';
import { createTicketHooks } from '../../src/tickets/index.js';
import { createTestDatabase } from '../support/db.js';
import { texts } from '../support/texts.js';
import { listedTicketIds, type RunningPage, startStatusPage, visibleText } from './support.js';

describe('npm run seed:demo', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let page: RunningPage;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    await seedDemoHelpdesk(database.db, {
      db: database.db,
      hooks: createTicketHooks(),
      logger: createLogger('silent'),
    });
    page = await startStatusPage(database.db, database.url);
  });
  afterAll(async () => {
    await page?.close();
    await database?.drop();
  });

  it('fills a helpdesk the status page can show at once: open, in progress and closed tickets, ratings, a dead email', async () => {
    const html = await (await fetch(`${page.url}/`)).text();
    expect(listedTicketIds(html)).toHaveLength(25);
    const text = visibleText(html);
    expect(text).toMatch(/\d+ Open \d+ In progress \d+ Closed \(30 days\)/);
    expect(text).toMatch(/Camille Roux \d+ \d+ \d\.\d \/ 5/);
    const counts = await database.db.models.Ticket.count({ group: ['status'] });
    expect(counts.map((c) => c.status).sort()).toEqual(['closed', 'in_progress', 'open']);
    expect(await database.db.models.EmailOutbox.count({ where: { status: 'dead' } })).toBe(1);
    const detail = visibleText(await (await fetch(`${page.url}/tickets/1`)).text());
    expect(detail).toContain('Open the Slack thread');
  });

  it('seeds emails that render, so the dead one can be retried from the email queue', async () => {
    const templates = loadEmailTemplates({ texts, publicUrl: 'http://localhost:3000' });
    const rows = await database.db.models.EmailOutbox.findAll();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const email = templates.render(row.template as Notification, row.locale, JSON.parse(row.data), {
        statusPage: `http://localhost:3000/tickets/${row.ticketId}`,
        slackThread: null,
      });
      expect(email.subject).toContain(`#${row.ticketId}`);
    }
  });

  it('gives the technicians different ratings', async () => {
    const scores = await database.db.models.Rating.findAll({ attributes: ['score'] });
    expect(new Set(scores.map((rating) => rating.score)).size).toBeGreaterThan(1);
  });
});
