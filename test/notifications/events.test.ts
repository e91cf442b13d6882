import { afterEach, beforeEach, expect, it } from 'vitest';
import type { NotificationsHandle } from '../../src/notifications/index.js';
import {
  addComment,
  assignTicket,
  changeStatus,
  deleteComment,
  reopenTicket,
} from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import {
  as,
  drainUntil,
  freshNotifications,
  MANAGER,
  NO_EMAIL_USER,
  notificationsFor,
  openTicket,
  outboxRows,
  REQUESTER,
  TECHNICIAN,
  useMailServer,
} from './support.js';

describeEachDatabase('email notifications for ticket changes', (suite) => {
  const { smtp, services } = useMailServer(suite);
  let notifications: NotificationsHandle;
  beforeEach(async () => {
    notifications = await freshNotifications(smtp, services, {
      env: { EMAIL_NEW_TICKET_TO_MANAGERS: 'true', MANAGER_EMAILS: MANAGER },
    });
  });
  afterEach(async () => notifications.stop());

  const delivered = async (count: number) => {
    await drainUntil(notifications, () => smtp.received.length >= count);
    return smtp.received;
  };

  it('tells the managers about a new ticket and the technician named at creation, with both parts', async () => {
    const ticket = await openTicket(services, { technicianId: TECHNICIAN });
    const mails = await delivered(2);
    const toManager = mails.find((mail) => mail.envelopeTo.includes(MANAGER));
    const toTechnician = mails.find((mail) => mail.envelopeTo.includes('sam@example.com'));
    expect(toManager?.parsed.subject).toBe(`[#${ticket.id}] New ticket: Printer <jams> & smokes`);
    expect(toTechnician?.parsed.subject).toBe(`[#${ticket.id}] Assigned to you: Printer <jams> & smokes`);
    for (const mail of [toManager, toTechnician]) {
      expect(mail?.parsed.text).toContain('Printer <jams> & smokes');
      expect(mail?.parsed.html).toContain('Printer &lt;jams&gt; &amp; smokes');
      expect(mail?.parsed.html).not.toContain('<jams>');
      expect(mail?.parsed.html).toContain(`https://help.example.com/tickets/${ticket.id}`);
      expect(mail?.parsed.from?.text).toContain('help@example.com');
    }
    // The requester made the change: nobody is mailed about their own action.
    expect(mails.some((mail) => mail.envelopeTo.includes('camille@example.com'))).toBe(false);
  });

  it('writes to a manager’s address as given, in the language of the Slack user who has that address', async () => {
    await services.db.models.User.create({
      id: 'U0BOSS0001',
      name: 'La Cheffe',
      email: MANAGER,
      locale: 'fr-FR',
      profileRefreshedAt: new Date(),
    } as never);
    try {
      const ticket = await openTicket(services);
      const [mail] = await delivered(1);
      expect(mail?.envelopeTo).toEqual([MANAGER]);
      expect(mail?.parsed.subject).toBe(`[#${ticket.id}] Nouveau ticket : Printer <jams> & smokes`);
      expect(mail?.parsed.text).toContain('Camille <Martin> a ouvert un nouveau ticket.');
      const [row] = await outboxRows(services.db);
      expect(row).toMatchObject({ recipient: MANAGER, recipientUserId: null });
    } finally {
      await services.db.models.User.destroy({ where: { id: 'U0BOSS0001' } });
    }
  });

  it('emails the technician on assignment, in their language, with a link to the Slack thread', async () => {
    const ticket = await openTicket(services);
    await services.db.models.SlackCard.create({
      ticketId: ticket.id,
      channelId: 'C0HELPDESK',
      messageTs: '1764160000.000100',
    });
    await assignTicket(as(services, TECHNICIAN), { ticketId: ticket.id, technicianId: 'U0TECH0002' });
    const mails = await delivered(2);
    const mail = mails.find((m) => m.envelopeTo.includes('alex@example.com'));
    expect(mail?.parsed.subject).toBe(`[#${ticket.id}] Assigned to you: Printer <jams> & smokes`);
    expect(mail?.parsed.text).toContain('Sam Lee assigned you this ticket.');
    expect(mail?.parsed.html).toContain('https://slack.com/archives/C0HELPDESK/p1764160000000100');
    expect(mail?.parsed.inReplyTo).toBe(`<ticketbot.ticket-${ticket.id}@example.com>`);
  });

  it('writes to a German-speaking technician (de-AT) in German, escaped in the HTML part', async () => {
    await services.db.models.User.update({ locale: 'de-AT' }, { where: { id: TECHNICIAN } });
    try {
      const ticket = await openTicket(services, { technicianId: TECHNICIAN });
      const mails = await delivered(1);
      const mail = mails.find((m) => m.envelopeTo.includes('sam@example.com'));
      expect(mail?.parsed.subject).toBe(`[#${ticket.id}] Ihnen zugewiesen: Printer <jams> & smokes`);
      expect(mail?.parsed.text).toContain('Hallo Sam Lee,');
      expect(mail?.parsed.text).toContain('Camille <Martin> hat Ihnen dieses Ticket zugewiesen.');
      expect(mail?.parsed.text).toMatch(/^Priorität: Hoch$/m);
      expect(mail?.parsed.html).toContain('<html lang="de">');
      expect(mail?.parsed.html).toContain('Camille &lt;Martin&gt; hat Ihnen dieses Ticket zugewiesen.');
      expect(mail?.parsed.html).toContain('Auf der Statusseite ansehen');
    } finally {
      await services.db.models.User.update({ locale: 'en-US' }, { where: { id: TECHNICIAN } });
    }
  });

  it('tells the requester (in French) about a status change, and about the closing with the rating nudge', async () => {
    const ticket = await openTicket(services, { technicianId: TECHNICIAN });
    await changeStatus(as(services, TECHNICIAN), { ticketId: ticket.id, status: 'in_progress' });
    await changeStatus(as(services, TECHNICIAN), { ticketId: ticket.id, status: 'closed' });
    const mails = await delivered(4);
    const toRequester = mails.filter((m) => m.envelopeTo.includes('camille@example.com'));
    expect(toRequester.map((m) => m.parsed.subject).sort()).toEqual([
      `[#${ticket.id}] Printer <jams> & smokes : désormais En cours`,
      `[#${ticket.id}] Résolu : Printer <jams> & smokes`,
    ]);
    const closed = toRequester.find((m) => m.parsed.subject?.includes('Résolu'));
    expect(closed?.parsed.text).toContain('Notez l’aide reçue');
    expect(closed?.parsed.text).toContain('Bonjour Camille <Martin>,');
    expect(closed?.parsed.html).toContain('Bonjour Camille &lt;Martin&gt;,');
  });

  it('tells the requester and the technician about a comment, never its author, and about a reopening', async () => {
    const ticket = await openTicket(services, { technicianId: TECHNICIAN });
    await addComment(as(services, TECHNICIAN), { ticketId: ticket.id, body: 'Try <b>this</b> & reboot' });
    await drainUntil(notifications, () => smtp.received.length >= 3);
    const commentMails = smtp.received.filter((m) => m.parsed.subject?.includes('comment'));
    expect(commentMails.flatMap((m) => m.envelopeTo)).toEqual(['camille@example.com']);
    expect(commentMails[0]?.parsed.text).toContain('> Try <b>this</b> & reboot');
    expect(commentMails[0]?.parsed.html).toContain('Try &lt;b&gt;this&lt;/b&gt; &amp; reboot');

    await addComment(as(services, REQUESTER), { ticketId: ticket.id, body: 'Done, still jams' });
    await changeStatus(as(services, TECHNICIAN), { ticketId: ticket.id, status: 'closed' });
    await reopenTicket(as(services, REQUESTER), { ticketId: ticket.id });
    await drainUntil(notifications, () => smtp.received.length >= 6);
    const recipients = (subjectPart: string) =>
      smtp.received.filter((m) => m.parsed.subject?.includes(subjectPart)).flatMap((m) => m.envelopeTo);
    expect(recipients('New comment')).toEqual(['sam@example.com']);
    expect(
      smtp.received
        .filter((m) => m.parsed.text?.includes('a rouvert') || m.parsed.text?.includes('reopened the ticket'))
        .flatMap((m) => m.envelopeTo),
    ).toEqual(['sam@example.com']);
  });

  it('a comment deleted in Slack takes back its emails still queued; deleted before it was stored, it sends none', async () => {
    await notifications.stop();
    // Rows stay pending until the test drains: as during an SMTP outage.
    notifications = await notificationsFor(services, smtp.url, { wakeAfterCommit: false });
    const ticket = await openTicket(services, { technicianId: TECHNICIAN });
    const commentEmails = async () =>
      (await outboxRows(services.db)).filter((row) => row.template === 'ticket_commented');
    const pasted = {
      ticketId: ticket.id,
      body: 'the admin password is hunter2',
      slackTs: '1700000100.000001',
    };
    await addComment(as(services, TECHNICIAN), pasted);
    expect((await commentEmails()).map((row) => row.status)).toEqual(['pending']);
    await deleteComment(as(services, TECHNICIAN), { ticketId: ticket.id, slackTs: pasted.slackTs });
    expect(await commentEmails()).toEqual([]);

    // Another replica handled the deletion before this one stored the reply.
    const slackTs = '1700000100.000002';
    await deleteComment(as(services, REQUESTER), { ticketId: ticket.id, slackTs });
    await addComment(as(services, REQUESTER), { ticketId: ticket.id, body: 'hunter3, sorry', slackTs });
    expect(await commentEmails()).toEqual([]);
    await drainUntil(notifications, async () =>
      (await outboxRows(services.db)).every((row) => row.status === 'sent'),
    );
    expect(smtp.received.length).toBeGreaterThan(0);
    expect(smtp.received.some((mail) => /hunter/.test(`${mail.parsed.text}${mail.parsed.html}`))).toBe(false);
  });

  it('names the person in the outbox; one without an address is skipped when sent, saying why, and the change goes through', async () => {
    await services.db.models.User.update({ isTechnician: true }, { where: { id: NO_EMAIL_USER } });
    const ticket = await openTicket(services);
    const assigned = await assignTicket(as(services, TECHNICIAN), {
      ticketId: ticket.id,
      technicianId: NO_EMAIL_USER,
    });
    expect(assigned.ticket.technicianId).toBe(NO_EMAIL_USER);
    const queued = await outboxRows(services.db);
    expect(queued.map((row) => [row.template, row.recipient, row.recipientUserId])).toEqual([
      ['ticket_created', MANAGER, null],
      ['ticket_assigned', null, NO_EMAIL_USER],
    ]);
    await drainUntil(notifications, async () =>
      (await outboxRows(services.db)).every((row) => row.status !== 'pending' && row.status !== 'sending'),
    );
    const [toManager, toTechnician] = await outboxRows(services.db);
    expect(toManager?.status).toBe('sent');
    expect(toTechnician).toMatchObject({ status: 'skipped', recipient: null, attempts: 1 });
    // Without Slack (these tests), the users table is all there is, and the reason says so.
    expect(toTechnician?.lastError).toBe(
      'no email address stored for this person, and Slack is not connected to look it up',
    );
    expect(smtp.received.flatMap((mail) => mail.envelopeTo)).toEqual([MANAGER]);
  });

  it('writes the outbox rows in the change’s transaction: a failed change queues nothing', async () => {
    const ticket = await openTicket(services);
    const before = (await outboxRows(services.db)).length;
    await expect(
      assignTicket(as(services, REQUESTER), { ticketId: ticket.id, technicianId: TECHNICIAN }),
    ).rejects.toThrow();
    expect((await outboxRows(services.db)).length).toBe(before);
  });

  it('gives every row one deterministic Message-ID, the one the server receives', async () => {
    await openTicket(services, { technicianId: TECHNICIAN });
    await delivered(2);
    const rows = await outboxRows(services.db);
    expect(rows.every((row) => row.status === 'sent' && row.sentAt !== null && row.attempts === 1)).toBe(
      true,
    );
    expect(smtp.messageIds().sort()).toEqual(rows.map((row) => row.messageId).sort());
    expect(new Set(rows.map((row) => row.messageId)).size).toBe(rows.length);
  });
});
