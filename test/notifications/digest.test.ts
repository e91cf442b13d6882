import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NotificationsHandle } from '../../src/notifications/index.js';
import {
  assignTicket,
  changeStatus,
  createTicketHooks,
  rateTicket,
  reopenTicket,
} from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import {
  as,
  drainUntil,
  MANAGER,
  notificationsFor,
  openTicket,
  REQUESTER,
  SECOND_TECHNICIAN,
  TECHNICIAN,
  useMailServer,
} from './support.js';

const FRENCH_MANAGER = 'chef@example.com';
const HOUR = 60 * 60_000;

describeEachDatabase('manager digests', (suite) => {
  const { smtp, services } = useMailServer(suite);
  const replicas: NotificationsHandle[] = [];

  beforeAll(async () => {
    await suite.db.models.User.upsert({
      id: 'U0CHEF0001',
      email: FRENCH_MANAGER,
      name: 'Dominique',
      locale: 'fr-FR',
      tz: 'Europe/Paris',
    });
    // Two processes with the same settings on the same database, as two replicas would be
    // (each its own ticket hooks; changes below go through the first).
    for (let i = 0; i < 2; i++) {
      replicas.push(
        await notificationsFor(i === 0 ? services : { ...services, hooks: createTicketHooks() }, smtp.url, {
          owner: `replica-${i}`,
          wakeAfterCommit: false,
          env: { MANAGER_EMAILS: `${MANAGER},${FRENCH_MANAGER}`, DIGEST_TZ: 'Europe/Paris' },
        }),
      );
    }
  });
  afterAll(async () => {
    for (const replica of replicas) await replica.stop();
  });

  it('sums up the period once per period, even when two replicas run the same tick', async () => {
    const unassigned = await openTicket(services, { title: 'Badge reader <lobby>', priority: 'urgent' });
    const printer = await openTicket(services, {
      technicianId: TECHNICIAN,
      title: 'Printer jams',
      priority: 'normal',
    });
    const vpn = await openTicket(services, {
      technicianId: SECOND_TECHNICIAN,
      title: 'VPN drops',
      priority: 'high',
    });
    await changeStatus(as(services, TECHNICIAN), { ticketId: printer.id, status: 'closed' });
    await rateTicket(as(services, REQUESTER), { ticketId: printer.id, score: 4 });
    await changeStatus(as(services, SECOND_TECHNICIAN), { ticketId: vpn.id, status: 'closed' });
    await reopenTicket(as(services, REQUESTER), { ticketId: vpn.id });
    await changeStatus(as(services, SECOND_TECHNICIAN), { ticketId: vpn.id, status: 'in_progress' });
    // One more ticket, created in the previous period.
    const older = await openTicket(services, { title: 'Old monitor flickers', priority: 'low' });
    await suite.db.models.TicketEvent.update(
      { createdAt: new Date(Date.now() - 30 * HOUR) },
      { where: { ticketId: older.id } },
    );
    await suite.db.models.Ticket.update(
      { createdAt: new Date(Date.now() - 30 * HOUR) },
      { where: { id: older.id } },
    );
    await suite.db.models.EmailOutbox.destroy({ where: {} });

    const tick = new Date(Date.now() + 60_000);
    const outcomes = await Promise.all(replicas.map((replica) => replica.runDigest(tick)));
    expect(outcomes.sort()).toEqual(['already_done', 'queued']);
    expect(await replicas[0]!.runDigest(tick)).toBe('already_done');
    expect(await suite.db.models.JobRun.count({ where: { job: 'digest' } })).toBe(1);

    await drainUntil(replicas[0]!, () => smtp.received.length >= 2);
    expect(smtp.received.flatMap((mail) => mail.envelopeTo).sort()).toEqual([MANAGER, FRENCH_MANAGER].sort());
    const english = smtp.received.find((mail) => mail.envelopeTo.includes(MANAGER))!.parsed;
    expect(english.subject).toBe('Helpdesk digest: 3 new, 2 closed, 3 open');
    const text = english.text ?? '';
    for (const line of [
      'New tickets: 3 (Previous period: 1, +2)',
      'Closed tickets: 2 (Previous period: 0, +2)',
      'Reopened tickets: 1 (Previous period: 0, +1)',
      'Open backlog: 3',
      '- Open: 2',
      '- In progress: 1',
      '- Urgent: 1',
      'Unassigned tickets: 2',
      `- #${unassigned.id} Badge reader <lobby> <https://help.example.com/tickets/${unassigned.id}>`,
    ]) {
      expect(text).toContain(line);
    }
    // Oldest open first.
    expect(text.indexOf(`#${older.id} Old monitor flickers`)).toBeLessThan(
      text.indexOf(`#${unassigned.id} Badge reader`),
    );
    expect(text).toContain('- Sam Lee: Open 0, Closed 1, Average rating 4.0');
    expect(text).toContain('- Alex Kim: Open 1, Closed 0, Average rating –');
    expect(english.html).toContain('Badge reader &lt;lobby&gt;');
    // No request types defined: the digest says nothing of types.
    expect(text).not.toContain('By type');
    expect(text).not.toContain('No type');
    expect(english.html).not.toContain('By type');
    const french = smtp.received.find((mail) => mail.envelopeTo.includes(FRENCH_MANAGER))!.parsed;
    expect(french.subject).toBe('Récapitulatif du helpdesk : 3 nouveaux, 2 fermés, 3 ouverts');

    // The next period starts where this one ended; nothing happened since: no email.
    const next = new Date(tick.getTime() + 24 * HOUR);
    expect(await replicas[1]!.runDigest(next)).toBe('quiet');
    expect(await suite.db.models.EmailOutbox.count({ where: { template: 'digest' } })).toBe(2);
    expect(await suite.db.models.JobRun.count({ where: { job: 'digest' } })).toBe(2);
  });

  it('counts a technician’s new assignment in the next period against the previous one', async () => {
    const ticket = await openTicket(services, { title: 'Keyboard missing keys' });
    await assignTicket(as(services, TECHNICIAN), { ticketId: ticket.id, technicianId: TECHNICIAN });
    await suite.db.models.TicketEvent.update(
      { createdAt: new Date(Date.now() + 25 * HOUR) },
      { where: { ticketId: ticket.id } },
    );
    const lastEnd = (await suite.db.models.JobRun.findAll({ order: [['period', 'DESC']] }))[0]!.period;
    const tick = new Date(new Date(lastEnd).getTime() + 24 * HOUR);
    expect(await replicas[0]!.runDigest(tick)).toBe('queued');
    const rows = await suite.db.models.EmailOutbox.findAll({
      where: { template: 'digest' },
      order: [['id', 'DESC']],
    });
    const digest = JSON.parse(rows[0]!.data).digest;
    expect(digest.start).toBe(lastEnd);
    expect(digest.activity[0]).toEqual({ key: 'created', current: 1, previous: 0 });
  });
});
