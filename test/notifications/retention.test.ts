import { beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { runDigest } from '../../src/notifications/digestJob.js';
import { OutboxQueue } from '../../src/notifications/queue.js';
import { purgeExpired } from '../../src/notifications/retention.js';
import type { TicketServices } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import { MANAGER, openTicket, servicesWithPeople } from './support.js';

const DAY = 24 * 60 * 60_000;

describeEachDatabase('retention', (suite) => {
  let services: TicketServices;
  beforeAll(async () => {
    services = await servicesWithPeople(suite.db);
  });

  it('keeps the last digest run, so the next digest still starts where it ended', async () => {
    const deps = {
      db: suite.db,
      logger: createLogger('silent'),
      publicUrl: 'https://help.example.com',
      mailDomain: 'example.com',
      managerEmails: [MANAGER],
      timeZone: 'UTC',
      owner: 'retention-test',
    };
    const monday = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const friday = new Date(monday.getTime() - 3 * DAY);
    await runDigest(deps, friday);
    // The Friday run was written on Friday.
    await suite.db.models.JobRun.update({ createdAt: friday }, { where: { period: friday.toISOString() } });
    // A ticket opened on Saturday.
    const saturday = await openTicket(services, { title: 'Weekend outage' });
    await suite.db.models.TicketEvent.update(
      { createdAt: new Date(friday.getTime() + DAY) },
      { where: { ticketId: saturday.id } },
    );

    // EMAIL_RETENTION_DAYS=1, run on Monday morning.
    await purgeExpired(suite.db, new OutboxQueue(suite.db), new Date(monday.getTime() - DAY));

    expect(await runDigest(deps, monday)).toBe('queued');
    const email = await suite.db.models.EmailOutbox.findOne({
      where: { idempotencyKey: `digest:${monday.toISOString()}:${MANAGER}` },
    });
    const data = JSON.parse(email!.data) as { digest: { start: string; totals: { created: number } } };
    expect(data.digest.start).toBe(friday.toISOString());
    expect(data.digest.totals.created).toBe(1);
  });

  it('removes a run once a later one has taken over', async () => {
    const before = await suite.db.models.JobRun.findAll({ order: [['period', 'ASC']] });
    expect(before).toHaveLength(2);
    await purgeExpired(suite.db, new OutboxQueue(suite.db), new Date(Date.now() - DAY));
    const after = await suite.db.models.JobRun.findAll();
    expect(after.map((run) => run.period)).toEqual([before[1]!.period]);
  });
});
