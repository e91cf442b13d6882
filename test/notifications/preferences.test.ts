import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotificationsHandle } from '../../src/notifications/index.js';
import { savePreferences } from '../../src/notifications/preferences.js';
import { loadEmailTemplates } from '../../src/notifications/templates/index.js';
import { sampleData } from '../../src/notifications/templates/samples.js';
import { NOTIFICATIONS } from '../../src/notifications/types.js';
import { addComment } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import { texts } from '../support/texts.js';
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

describe('email footers', () => {
  it('every email, in every language and both parts, says where to choose the emails one gets', () => {
    const publicUrl = 'https://help.example.com';
    const templates = loadEmailTemplates({ texts, publicUrl });
    const line = {
      en: 'To choose which emails you get, open ticketbot’s App Home in Slack.',
      fr: 'Pour choisir les e-mails que vous recevez, ouvrez l’onglet Accueil de ticketbot dans Slack.',
      de: 'Welche E-Mails Sie erhalten, wählen Sie im Start-Tab (App Home) von ticketbot in Slack.',
    };
    for (const notification of NOTIFICATIONS) {
      for (const [lang, expected] of Object.entries(line)) {
        const email = templates.render(notification, lang, sampleData(notification, publicUrl), {
          statusPage: `${publicUrl}/tickets/42`,
          slackThread: 'https://slack.com/archives/C1/p1',
        });
        expect(email.text, `${notification}/${lang} text`).toContain(expected);
        expect(email.html, `${notification}/${lang} html`).toContain(expected);
      }
    }
  });
});
