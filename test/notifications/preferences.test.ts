import { afterEach, beforeEach, expect, it } from 'vitest';
import type { NotificationsHandle } from '../../src/notifications/index.js';
import { savePreferences } from '../../src/notifications/preferences.js';
import { addComment } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import {
  as,
  freshNotifications,
  MANAGER,
  openTicket,
  outboxRows,
  REQUESTER,
  SECOND_TECHNICIAN,
  TECHNICIAN,
  useMailServer,
} from './support.js';

const BOSS = 'U0BOSSPREF';

describeEachDatabase('email preferences', (suite) => {
  const { smtp, services } = useMailServer(suite);
  let notifications: NotificationsHandle;
  beforeEach(async () => {
    await services.db.models.EmailPreference.destroy({ where: {} });
    // Each test's digest covers the day before its tick, not what an earlier test's run left.
    await services.db.models.JobRun.destroy({ where: { job: 'digest' } });
    await services.db.models.User.upsert({ id: BOSS, name: 'The Boss', email: MANAGER, locale: 'en-US' });
    notifications = await freshNotifications(smtp, services, {
      wakeAfterCommit: false,
      env: { EMAIL_NEW_TICKET_TO_MANAGERS: 'true', MANAGER_EMAILS: MANAGER },
    });
  });
  afterEach(async () => {
    await notifications.stop();
    await services.db.models.User.destroy({ where: { id: BOSS } });
  });

  const queued = async () =>
    (await outboxRows(services.db)).map((row) => ({
      template: row.template,
      to: row.recipientUserId ?? row.recipient,
    }));

  it('queues nothing of a kind for the person who turned it off, and the same email for the others', async () => {
    await savePreferences(
      services.db,
      REQUESTER,
      ['ticket_commented', 'ticket_closed'],
      new Set(['ticket_closed']),
    );
    const ticket = await openTicket(services, { technicianId: TECHNICIAN });
    await services.db.models.EmailOutbox.destroy({ where: {} });
    await addComment(as(services, SECOND_TECHNICIAN), { ticketId: ticket.id, body: 'Rebooted it' });
    expect(await queued()).toEqual([{ template: 'ticket_commented', to: TECHNICIAN }]);
    // The kind left on stays on; the row says off for the other.
    const rows = await services.db.models.EmailPreference.findAll({ where: { userId: REQUESTER } });
    expect(rows.map((row) => [row.kind, row.enabled])).toEqual([['ticket_commented', false]]);
  });

  it('everyone gets everything by default (no rows), and turning a kind back on sends it again', async () => {
    await savePreferences(services.db, TECHNICIAN, ['ticket_assigned'], new Set());
    await openTicket(services, { technicianId: TECHNICIAN });
    expect(await queued()).toEqual([{ template: 'ticket_created', to: MANAGER }]);
    await savePreferences(services.db, TECHNICIAN, ['ticket_assigned'], new Set(['ticket_assigned']));
    await services.db.models.EmailOutbox.destroy({ where: {} });
    await openTicket(services, { technicianId: TECHNICIAN });
    expect((await queued()).sort((a, b) => a.template.localeCompare(b.template))).toEqual([
      { template: 'ticket_assigned', to: TECHNICIAN },
      { template: 'ticket_created', to: MANAGER },
    ]);
  });

  it('a manager address whose Slack user turned a kind off is skipped, the digest included', async () => {
    await savePreferences(services.db, BOSS, ['ticket_created', 'digest'], new Set());
    await openTicket(services, { technicianId: TECHNICIAN });
    expect(await queued()).toEqual([{ template: 'ticket_assigned', to: TECHNICIAN }]);
    await services.db.models.EmailOutbox.destroy({ where: {} });
    expect(await notifications.runDigest(new Date(Date.now() + 60_000))).toBe('queued');
    expect((await queued()).filter((row) => row.template === 'digest')).toEqual([]);
  });

  it('the digest still goes to a manager who left it on', async () => {
    await savePreferences(services.db, BOSS, ['ticket_created'], new Set());
    await openTicket(services);
    await services.db.models.EmailOutbox.destroy({ where: {} });
    expect(await notifications.runDigest(new Date(Date.now() + 60_000))).toBe('queued');
    expect((await queued()).filter((row) => row.template === 'digest')).toEqual([
      { template: 'digest', to: MANAGER },
    ]);
  });
});
