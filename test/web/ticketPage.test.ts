import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  addComment,
  assignTicket,
  changeStatus,
  createTicket,
  deleteComment,
  rateTicket,
} from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import { PEOPLE, type RunningPage, seedPeople, startStatusPage, visibleText } from './support.js';

describeEachDatabase('status page: ticket detail', (suite) => {
  let page: RunningPage;
  let ticketId = 0;
  let bareTicketId = 0;
  let takenTicketId = 0;
  const get = async (path: string) => {
    const response = await fetch(`${page.url}${path}`);
    return { status: response.status, html: await response.text() };
  };

  beforeAll(async () => {
    const services = await seedPeople(suite.db);
    const { requester, technician, secondTechnician } = PEOPLE;
    const { ticket } = await createTicket(services.as(requester.id), {
      title: 'Cannot print <invoices>',
      description: 'Line one\nLine two with <img src=x onerror=alert(1)>',
      priority: 'high',
    });
    ticketId = ticket.id;
    await assignTicket(services.as(technician.id), { ticketId, technicianId: secondTechnician.id });
    await changeStatus(services.as(secondTechnician.id), { ticketId, status: 'in_progress' });
    await addComment(services.as(secondTechnician.id), { ticketId, body: 'Driver reinstalled <b>today</b>' });
    await addComment(services.as(requester.id), { ticketId, body: 'Works now, thanks!' });
    await changeStatus(services.as(secondTechnician.id), { ticketId, status: 'closed' });
    await rateTicket(services.as(requester.id), { ticketId, score: 5, remark: 'Quick & kind' });
    await suite.db.models.SlackCard.create({
      ticketId,
      channelId: 'C0HELPDESK',
      messageTs: '1764169200.123456',
    });
    const now = new Date();
    await suite.db.models.EmailOutbox.bulkCreate([
      {
        ticketId,
        recipient: 'manager@example.com',
        template: 'ticket_created',
        data: '{}',
        locale: 'en',
        status: 'sent',
        attempts: 1,
        availableAt: now,
        sentAt: now,
        idempotencyKey: `d-${ticketId}-1`,
        leaseOwner: null,
        leaseExpiresAt: null,
        lastError: null,
        lastSmtpCode: null,
        messageId: null,
      },
      {
        ticketId,
        recipient: 'gone@example.com',
        template: 'ticket_closed',
        data: '{}',
        locale: 'en',
        status: 'dead',
        attempts: 3,
        availableAt: now,
        sentAt: null,
        idempotencyKey: `d-${ticketId}-2`,
        leaseOwner: null,
        leaseExpiresAt: null,
        lastError: 'Mailbox unavailable',
        lastSmtpCode: 550,
        messageId: null,
      },
      {
        ticketId,
        recipient: 'daniel@example.com',
        recipientUserId: secondTechnician.id,
        template: 'ticket_assigned',
        data: '{}',
        locale: null,
        status: 'sent',
        attempts: 1,
        availableAt: now,
        sentAt: now,
        idempotencyKey: `d-${ticketId}-3`,
        leaseOwner: null,
        leaseExpiresAt: null,
        lastError: null,
        lastSmtpCode: null,
        messageId: null,
      },
      {
        ticketId,
        recipient: null,
        recipientUserId: technician.id,
        template: 'ticket_commented',
        data: '{}',
        locale: null,
        status: 'skipped',
        attempts: 1,
        availableAt: now,
        sentAt: null,
        idempotencyKey: `d-${ticketId}-4`,
        leaseOwner: null,
        leaseExpiresAt: null,
        lastError: 'Slack has no email address for this person',
        lastSmtpCode: null,
        messageId: null,
      },
    ]);
    bareTicketId = (await createTicket(services.as(requester.id), { title: 'Bare ticket' })).ticket.id;
    takenTicketId = (await createTicket(services.as(requester.id), { title: 'Taken ticket' })).ticket.id;
    await assignTicket(services.as(technician.id), { ticketId: takenTicketId, technicianId: technician.id });
    page = await startStatusPage(suite.db, suite.url);
  });
  afterAll(async () => {
    await page?.close();
  });

  it('shows the description, the comments in order and who did what', async () => {
    const { status, html } = await get(`/tickets/${ticketId}`);
    expect(status).toBe(200);
    const text = visibleText(html);
    expect(text).toContain(`Ticket #${ticketId}`);
    expect(text).toContain('Line one');
    expect(text.indexOf('Driver reinstalled <b>today</b>')).toBeLessThan(text.indexOf('Works now, thanks!'));
    expect(text).toContain('Alice Martin opened the ticket');
    expect(text).toContain('Camille Roux assigned it to Daniel Blanc');
    expect(text).toContain('Daniel Blanc changed the status from Open to In progress');
    expect(text).toContain('Alice Martin commented');
    expect(text).toContain('Daniel Blanc changed the status from In progress to Closed');
    expect(text).toContain('Alice Martin rated it 5 / 5');
  });

  it('says who opened a ticket for someone else (a reaction on their message)', async () => {
    const services = await seedPeople(suite.db);
    const { requester, technician } = PEOPLE;
    const { ticket } = await createTicket(services.as(technician.id), {
      title: 'From a reaction',
      requesterId: requester.id,
      source: { channelId: 'C0GENERAL1', messageTs: '1764169200.654321' },
    });
    const { html } = await get(`/tickets/${ticket.id}`);
    expect(visibleText(html)).toContain('Camille Roux opened the ticket for Alice Martin');
    const french = await fetch(`${page.url}/tickets/${ticket.id}`, { headers: { 'Accept-Language': 'fr' } });
    expect(visibleText(await french.text())).toContain('Camille Roux a ouvert le ticket pour Alice Martin');
  });

  it('shows the history and the rating in German to a German browser', async () => {
    const response = await fetch(`${page.url}/tickets/${ticketId}`, {
      headers: { 'Accept-Language': 'de-DE' },
    });
    const text = visibleText(await response.text());
    expect(text).toContain('Alice Martin hat das Ticket eröffnet');
    expect(text).toContain('Camille Roux hat es Daniel Blanc zugewiesen');
    expect(text).toContain('Daniel Blanc hat den Status von Offen auf In Bearbeitung geändert');
    expect(text).toContain('Alice Martin hat es mit 5 / 5 bewertet');
    expect(text).toContain('5 / 5 von Alice Martin');
    expect(text).toContain('Driver reinstalled <b>today</b>');
  });

  it('shows the rating, the email notifications with their delivery state and the Slack thread link', async () => {
    const { html } = await get(`/tickets/${ticketId}`);
    const text = visibleText(html);
    expect(text).toContain('5 / 5 by Alice Martin');
    expect(text).toContain('Quick & kind');
    expect(text).toMatch(/manager@example\.com Sent ticket_created/);
    expect(text).toMatch(/gone@example\.com Dead ticket_closed .* 550 Mailbox unavailable/);
    // Emails to Slack users name the person, with the address they were sent to.
    expect(text).toMatch(/Daniel Blanc · daniel@example\.com Sent ticket_assigned/);
    expect(text).toMatch(
      /Camille Roux Skipped ticket_commented .* Slack has no email address for this person/,
    );
    expect(html).toContain('href="https://slack.com/archives/C0HELPDESK/p1764169200123456"');
  });

  it('escapes user text in the title, description and comments', async () => {
    const { html } = await get(`/tickets/${ticketId}`);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>today</b>');
    expect(html).not.toContain('<invoices>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('Driver reinstalled &lt;b&gt;today&lt;/b&gt;');
  });

  it('shows a long comment whole, and a deleted one without its text', async () => {
    const services = await seedPeople(suite.db);
    const { requester } = PEOPLE;
    const id = (await createTicket(services.as(requester.id), { title: 'Long story' })).ticket.id;
    const long = `${'All the logs 🪵 '.repeat(2_500)}end of the logs`;
    expect(long.length).toBeGreaterThan(40_000);
    await addComment(services.as(requester.id), { ticketId: id, body: long, slackTs: '1700000001.000001' });
    await addComment(services.as(requester.id), {
      ticketId: id,
      body: 'my password is hunter2',
      slackTs: '1700000002.000001',
    });
    await deleteComment(services.as(requester.id), { ticketId: id, slackTs: '1700000002.000001' });
    const { html } = await get(`/tickets/${id}`);
    expect(html).toContain(long);
    expect(html).toContain('This comment was deleted.');
    expect(html).not.toContain('hunter2');
  });

  it('says a technician took a ticket when they assigned it to themselves', async () => {
    const text = visibleText((await get(`/tickets/${takenTicketId}`)).html);
    expect(text).toContain('Camille Roux took it');
  });

  it('says what is missing on a ticket without comments, rating, emails or Slack card', async () => {
    const text = visibleText((await get(`/tickets/${bareTicketId}`)).html);
    expect(text).toContain('No description.');
    expect(text).toContain('No comments yet.');
    expect(text).toContain('Not rated.');
    expect(text).toContain('No email was sent for this ticket.');
    expect(text).toContain('The ticket card has not been posted to Slack yet.');
  });

  it('answers 404 for a ticket that does not exist or a malformed number', async () => {
    expect((await get('/tickets/999999')).status).toBe(404);
    expect((await get('/tickets/abc')).status).toBe(404);
    expect((await get('/tickets/1e3')).status).toBe(404);
  });
});
