import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTicket } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import { PEOPLE, type RunningPage, seedPeople, startStatusPage, visibleText } from './support.js';

describeEachDatabase('status page: email queue and metrics', (suite) => {
  let page: RunningPage;
  let deadId = 0;
  let sentId = 0;
  let skippedId = 0;
  let ticketId = 0;

  /** A page visit: the CSRF cookie and token the page hands out, as a browser would keep them. */
  const visitEmails = async () => {
    const response = await fetch(`${page.url}/emails`);
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const html = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    return { html, cookie, token };
  };
  const retry = (id: number, cookie: string, token: string) =>
    fetch(`${page.url}/emails/${id}/retry`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token }).toString(),
    });

  beforeAll(async () => {
    const services = await seedPeople(suite.db);
    ticketId = (await createTicket(services.as(PEOPLE.requester.id), { title: 'Mail me' })).ticket.id;
    const now = new Date();
    const base = {
      data: '{}',
      locale: 'en',
      leaseOwner: null,
      leaseExpiresAt: null,
      messageId: null,
      availableAt: now,
    };
    const [sent, , dead] = await suite.db.models.EmailOutbox.bulkCreate([
      {
        ...base,
        ticketId,
        recipient: 'ok@example.com',
        template: 'ticket_created',
        status: 'sent',
        attempts: 1,
        sentAt: now,
        idempotencyKey: 'e1',
        lastError: null,
        lastSmtpCode: null,
      },
      {
        ...base,
        ticketId,
        recipient: 'later@example.com',
        template: 'ticket_assigned',
        status: 'pending',
        attempts: 1,
        sentAt: null,
        idempotencyKey: 'e2',
        lastError: 'Connection timed out',
        lastSmtpCode: null,
      },
      {
        ...base,
        ticketId,
        recipient: 'nobody@example.com',
        template: 'ticket_closed',
        status: 'dead',
        attempts: 5,
        sentAt: null,
        idempotencyKey: 'e3',
        lastError: 'User <unknown> here',
        lastSmtpCode: 550,
      },
    ]);
    deadId = dead!.id;
    const { technician, secondTechnician } = PEOPLE;
    await suite.db.models.User.update({ email: null }, { where: { id: technician.id } });
    const [skipped] = await suite.db.models.EmailOutbox.bulkCreate([
      {
        ...base,
        ticketId,
        recipient: null,
        recipientUserId: technician.id,
        template: 'ticket_assigned',
        status: 'skipped',
        attempts: 1,
        sentAt: null,
        idempotencyKey: 'e5',
        lastError: 'Slack has no email address for this person',
        lastSmtpCode: null,
      },
      {
        ...base,
        ticketId,
        recipient: null,
        recipientUserId: secondTechnician.id,
        template: 'ticket_commented',
        status: 'pending',
        attempts: 0,
        sentAt: null,
        idempotencyKey: 'e6',
        lastError: null,
        lastSmtpCode: null,
      },
    ]);
    skippedId = skipped!.id;
    const monthAgo = new Date(Date.now() - 30 * 86_400_000);
    await suite.db.models.EmailOutbox.create({
      ...base,
      availableAt: monthAgo,
      ticketId,
      recipient: 'last-month@example.com',
      template: 'ticket_created',
      status: 'sent',
      attempts: 1,
      sentAt: monthAgo,
      idempotencyKey: 'e4',
      lastError: null,
      lastSmtpCode: null,
    });
    sentId = sent!.id;
    page = await startStatusPage(suite.db, suite.url);
  });
  afterAll(async () => {
    await page?.close();
  });

  it('shows pending, sent, dead and skipped emails with the reason, escaped', async () => {
    const { html } = await visitEmails();
    const text = visibleText(html);
    expect(text).toMatch(/2 Pending 0 Sending 1 Sent \(7 days\) 1 Dead 1 Skipped/);
    expect(text).toContain('nobody@example.com ticket_closed');
    // Sent mail is counted and listed for the last 7 days only.
    expect(text).not.toContain('last-month@example.com');
    expect(text).toContain('550 User <unknown> here');
    expect(html).toContain('User &lt;unknown&gt; here');
    expect(text).toContain('later@example.com');
    expect(text).toContain('Connection timed out');
    expect(html).toContain(`action="/emails/${deadId}/retry"`);
    expect(html).not.toContain(`action="/emails/${sentId}/retry"`);
    // Emails to Slack users show the person; the address once it has been looked up.
    expect(text).toContain(
      'Skipped 1 Recipient Notification Ticket Attempts When Reason Retry Camille Roux ticket_assigned',
    );
    expect(text).toContain('Slack has no email address for this person');
    expect(html).toContain(`action="/emails/${skippedId}/retry"`);
    expect(text).toContain('Daniel Blanc (address looked up when sent) ticket_commented');
  });

  it('refuses a retry without the page’s token', async () => {
    const { cookie } = await visitEmails();
    const forged = await retry(deadId, cookie, 'x'.repeat(32));
    expect(forged.status).toBe(403);
    const noCookie = await retry(deadId, '', '');
    expect(noCookie.status).toBe(403);
    expect((await suite.db.models.EmailOutbox.findByPk(deadId))?.status).toBe('dead');
  });

  it('puts a dead email back in the queue, due now, and says so', async () => {
    const { cookie, token } = await visitEmails();
    const response = await retry(deadId, cookie, token);
    expect(response.status).toBe(303);
    const location = response.headers.get('location')!;
    const email = await suite.db.models.EmailOutbox.findByPk(deadId);
    expect(email).toMatchObject({ status: 'pending', attempts: 0, leaseOwner: null });
    expect(email!.availableAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    const after = visibleText(await (await fetch(`${page.url}${location}`, { headers: { cookie } })).text());
    expect(after).toContain('The email to nobody@example.com is queued again.');
    expect(after).toMatch(/3 Pending 0 Sending 1 Sent \(7 days\) 0 Dead 1 Skipped/);
  });

  it('changes nothing when the email is not dead (a double click)', async () => {
    // No dead email is left, so no form: the token is the cookie's value (double submit).
    const { cookie } = await visitEmails();
    const response = await retry(sentId, cookie, cookie.split('=')[1]!);
    expect(response.status, await response.clone().text()).toBe(303);
    expect(response.headers.get('location')).toContain('notice=not_dead');
    expect((await suite.db.models.EmailOutbox.findByPk(sentId))?.status).toBe('sent');
  });

  it('puts a skipped email back in the queue, and has Slack asked for the person’s profile again', async () => {
    const { cookie, token } = await visitEmails();
    const response = await retry(skippedId, cookie, token);
    expect(response.status).toBe(303);
    const email = await suite.db.models.EmailOutbox.findByPk(skippedId);
    expect(email).toMatchObject({ status: 'pending', attempts: 0, recipient: null });
    // A profile no longer fresh is fetched from Slack before the next attempt.
    expect((await suite.db.models.User.findByPk(PEOPLE.technician.id))?.profileRefreshedAt).toBeNull();
    const location = response.headers.get('location')!;
    const after = visibleText(await (await fetch(`${page.url}${location}`, { headers: { cookie } })).text());
    expect(after).toContain('The email to Camille Roux is queued again.');
    expect(after).toMatch(/4 Pending 0 Sending 1 Sent \(7 days\) 0 Dead 0 Skipped/);
  });

  it('exposes Prometheus metrics: HTTP latency, tickets by status, outbox by status, email counters', async () => {
    await fetch(`${page.url}/tickets/${ticketId}`);
    const response = await fetch(`${page.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const body = await response.text();
    expect(body).toContain('ticketbot_tickets{status="open"} 1');
    expect(body).toContain('ticketbot_tickets{status="closed"} 0');
    expect(body).toMatch(/ticketbot_email_outbox\{status="(pending|sent|dead)"\} \d/);
    expect(body).toContain('ticketbot_email_outbox{status="skipped"} 0');
    expect(body).toContain('ticketbot_emails_failed_total{outcome="skipped"} 0');
    expect(body).toMatch(
      /ticketbot_http_request_duration_seconds_count\{method="GET",route="\/tickets\/:id",status_code="200"\} [1-9]/,
    );
    expect(body).toContain('ticketbot_emails_sent_total 0');
    expect(body).toContain('ticketbot_emails_failed_total{outcome="dead"} 0');
  });
});
