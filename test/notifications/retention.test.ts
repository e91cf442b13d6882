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

  it('deletes in batches: no statement removes more than the batch, and only expired final rows go', async () => {
    const { EmailOutbox } = suite.db.models;
    await EmailOutbox.destroy({ where: {} });
    const old = new Date(Date.now() - 30 * DAY);
    const row = (i: number, status: string) => ({
      ticketId: null,
      recipient: `batch${i}@example.com`,
      template: 'ticket_assigned',
      data: '{}',
      locale: 'en',
      status,
      idempotencyKey: `batch:${i}`,
      availableAt: old,
    });
    await EmailOutbox.bulkCreate([
      ...Array.from({ length: 7 }, (_, i) => row(i, i % 2 ? 'sent' : 'dead')),
      row(7, 'pending'),
      row(8, 'sending'),
    ] as never);
    await suite.db.sequelize.query('UPDATE email_outbox SET updated_at = :old', { replacements: { old } });
    const batches: number[] = [];
    EmailOutbox.addHook('beforeBulkDestroy', 'count-batches', (options) => {
      const where = options.where as Record<symbol, Array<{ id?: number[] }>>;
      const ids = Object.getOwnPropertySymbols(where).flatMap((key) =>
        where[key]!.flatMap((p) => p.id ?? []),
      );
      batches.push(ids.length);
    });
    try {
      expect(await purgeExpired(suite.db, new OutboxQueue(suite.db), new Date(Date.now() - DAY), 3)).toBe(7);
    } finally {
      EmailOutbox.removeHook('beforeBulkDestroy', 'count-batches');
    }
    expect(batches).toEqual([3, 3, 1]);
    expect((await EmailOutbox.findAll({ order: [['id', 'ASC']] })).map((r) => r.status)).toEqual([
      'pending',
      'sending',
    ]);
  });
});
