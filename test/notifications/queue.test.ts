import { afterAll, beforeAll, expect, it } from 'vitest';
import { emlMailer } from '../../src/notifications/mailer.js';
import {
  addComment,
  changeStatus,
  rateTicket,
  reopenTicket,
  type TicketServices,
} from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import {
  as,
  drainUntil,
  notificationsFor,
  openTicket,
  outboxRows,
  REQUESTER,
  servicesWithPeople,
  TECHNICIAN,
  tempDir,
} from './support.js';

describeEachDatabase('the email drain beside ticket changes', (suite) => {
  let services: TicketServices;
  beforeAll(async () => {
    services = await servicesWithPeople(suite.db);
  });
  afterAll(async () => suite.db.models.EmailOutbox.destroy({ where: {} }));

  it('changes made back to back while each commit wakes the drain never wait out a lock', async () => {
    // The drain runs as in production: woken right after every commit that queued mail.
    const notifications = await notificationsFor(services, 'smtp://unused.invalid', {
      mailer: emlMailer(tempDir('ticketbot-eml-')),
    });
    try {
      const slowest: Array<[string, number]> = [];
      const timed = async (label: string, change: () => Promise<unknown>) => {
        const started = Date.now();
        await change();
        slowest.push([label, Date.now() - started]);
      };
      for (let round = 0; round < 10; round++) {
        const ticket = await openTicket(services, { technicianId: TECHNICIAN });
        const ticketId = ticket.id;
        await timed('comment', () => addComment(as(services, TECHNICIAN), { ticketId, body: 'Try this' }));
        await timed('reply', () => addComment(as(services, REQUESTER), { ticketId, body: 'No luck' }));
        await timed('start', () =>
          changeStatus(as(services, TECHNICIAN), { ticketId, status: 'in_progress' }),
        );
        await timed('close', () => changeStatus(as(services, TECHNICIAN), { ticketId, status: 'closed' }));
        await timed('rate', () => rateTicket(as(services, REQUESTER), { ticketId, score: 5 }));
        await timed('reopen', () => reopenTicket(as(services, REQUESTER), { ticketId }));
      }
      // SQLite waits up to 15 s for a lock: a change that took seconds sat out a wedged lock.
      expect(slowest.filter(([, ms]) => ms > 2_000)).toEqual([]);
      await drainUntil(notifications, async () =>
        (await outboxRows(suite.db)).every((row) => row.status === 'sent'),
      );
    } finally {
      await notifications.stop();
    }
  }, 60_000);
});
