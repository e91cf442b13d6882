import { expect, it } from 'vitest';
import { runInTransaction } from '../../src/db/transaction.js';
import { writeOutbox } from '../../src/notifications/enqueue.js';
import { OutboxQueue } from '../../src/notifications/queue.js';
import { sampleData } from '../../src/notifications/templates/samples.js';
import { describeEachDatabase } from '../support/db.js';

// The outbox claim's UPDATE checks again that each row it found is still due, and the claim keeps
// only the rows it updated: on Galera the SELECT … FOR UPDATE that found them locks on one node
// only, so a row another node's drainer took meanwhile may be among them.

describeEachDatabase('the outbox claim re-checks each row in its UPDATE', (suite) => {
  it('leases only the rows still due; a row another drainer took, or one sent, stays theirs', async () => {
    await writeOutbox(
      suite.db,
      Array.from({ length: 3 }, (_, i) => ({
        ticketId: null,
        to: { email: `recheck${i}@example.com` },
        template: 'ticket_assigned',
        locale: 'en',
        data: sampleData('ticket_assigned', 'https://help.example.com'),
        idempotencyKey: `recheck:${i}`,
      })),
      'example.com',
    );
    const queue = new OutboxQueue(suite.db);
    const ids = (await suite.db.models.EmailOutbox.findAll({ order: [['id', 'ASC']] })).map((row) =>
      Number(row.id),
    );
    expect(ids).toHaveLength(3);
    // Between "found due" and "leased", another node's drainer claims the first row and the
    // second is sent by it.
    const [theirs] = await queue.claim('other-node', 1, 60_000);
    expect(theirs?.id).toBe(ids[0]);
    await suite.db.models.EmailOutbox.update({ status: 'sent' }, { where: { id: ids[1] } });

    const now = new Date();
    const leaseExpiresAt = new Date(Math.ceil((now.getTime() + 60_000) / 1000) * 1000);
    const ours = await runInTransaction(suite.db, (transaction) =>
      queue.leaseIfDue('this-node', ids, now, leaseExpiresAt, transaction),
    );
    expect(ours.map((row) => Number(row.id))).toEqual([ids[2]]);
    expect(Number(ours[0]?.attempts)).toBe(1);
    const rows = await suite.db.models.EmailOutbox.findAll({ order: [['id', 'ASC']], raw: true });
    expect(rows.map((row) => [row.status, row.leaseOwner, row.attempts])).toEqual([
      ['sending', 'other-node', 1],
      ['sent', null, 0],
      ['sending', 'this-node', 1],
    ]);
  });
});
