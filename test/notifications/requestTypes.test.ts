import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NotificationsHandle } from '../../src/notifications/index.js';
import { describeEachDatabase } from '../support/db.js';
import { drainUntil, freshNotifications, MANAGER, openTicket, TECHNICIAN, useMailServer } from './support.js';

// Request types in the emails (issue 14 §2): where a ticket is described, its type and the
// answers to its fields (each under the label it was asked with); the digest lists each ticket's
// type and counts the open tickets per type. Without types, none of it shows.

describeEachDatabase('emails: request types', (suite) => {
  const { smtp, services } = useMailServer(suite);
  let notifications: NotificationsHandle | undefined;
  const env = { MANAGER_EMAILS: MANAGER, EMAIL_NEW_TICKET_TO_MANAGERS: 'true' };
  beforeAll(async () => {
    notifications = await freshNotifications(smtp, services, { wakeAfterCommit: false, env });
  });
  afterAll(async () => {
    await notifications?.stop();
  });
  const mailTo = (address: string) => smtp.received.find((mail) => mail.envelopeTo.includes(address))!.parsed;

  it('describes a ticket without a type as before: no type line, no type rows', async () => {
    smtp.received.length = 0;
    await openTicket(services, { title: 'No type here', technicianId: TECHNICIAN });
    await drainUntil(notifications!, () => smtp.received.length >= 2);
    for (const mail of [mailTo('sam@example.com'), mailTo(MANAGER)]) {
      expect(mail.text).not.toMatch(/^Type: /m);
      expect(mail.html).not.toContain('>Type<');
    }
  });

  it('shows the type and the answers in the new-ticket and assignment emails, escaped in HTML', async () => {
    const hardware = await suite.db.models.RequestType.create({
      name: 'Hardware <b>',
      description: '',
      defaultPriority: 'normal',
      technicianIds: '[]',
      channelId: null,
      isPrivate: false,
      isDefault: false,
      assignment: 'none',
      fields: JSON.stringify([
        { id: 'f0000a1', label: 'Asset <tag>', kind: 'short', required: false },
        { id: 'f0000b2', label: 'Details', kind: 'long', required: false },
      ]),
      lastAssignedId: null,
      archivedAt: null,
      version: 1,
    });
    await openTicket(services, { title: 'No type here', technicianId: TECHNICIAN });
    await drainUntil(notifications!, () => smtp.received.length >= 2);
    smtp.received.length = 0;
    await openTicket(services, {
      title: 'Screen broken',
      technicianId: TECHNICIAN,
      requestTypeId: hardware.id,
      fields: { f0000a1: 'LT-42 & <script>', f0000b2: 'Cracked\nin the corner' },
    });
    await drainUntil(notifications!, () => smtp.received.length >= 2);
    const assigned = mailTo('sam@example.com');
    expect(assigned.text).toContain(
      'Type: Hardware <b>\nAsset <tag>: LT-42 & <script>\nDetails: Cracked\nin the corner',
    );
    expect(assigned.html).toContain('Hardware &lt;b&gt;');
    expect(assigned.html).toContain('Asset &lt;tag&gt;');
    expect(assigned.html).toContain('LT-42 &amp; &lt;script&gt;');
    expect(assigned.html).not.toContain('<script>');
    const created = mailTo(MANAGER);
    expect(created.text).toContain('Type: Hardware <b>');
    expect(created.html).toContain('Asset &lt;tag&gt;');

    // The digest: each listed ticket's type, and the open tickets counted per type.
    smtp.received.length = 0;
    expect(await notifications!.runDigest(new Date(Date.now() + 60_000))).toBe('queued');
    await drainUntil(notifications!, () => smtp.received.length >= 1);
    const digest = mailTo(MANAGER);
    const text = digest.text ?? '';
    // Tickets without a type (this test's and any earlier one's) are counted last.
    expect(text).toMatch(/\nBy type\n- Hardware <b>: 1\n- No type: [1-9]\d*\n/);
    expect(text).toMatch(/#\d+ Screen broken \(Open, Hardware <b>, /);
    expect(text).toMatch(/#\d+ No type here \(Open, No type, /);
    expect(digest.html).toContain('By type');
    expect(digest.html).toContain('Hardware &lt;b&gt;');
    expect(digest.html).not.toContain('Hardware <b>');
  });
});
