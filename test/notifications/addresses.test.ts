import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addComment, asActor, assignTicket } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import { REQUESTER, SECOND_TECHNICIAN, TECHNICIAN, useSlackTestApp } from '../support/slackApp.js';
import { ticketOfCard } from '../support/slackCards.js';
import { TestSmtpServer } from '../support/smtpServer.js';
import { tempDir } from './support.js';

// Addresses are looked up when an email is sent, not when it is queued (issue #10, item 2):
// ticketbot against the test Slack and a real SMTP server, the way it runs.

/** Met by ticketbot for the first time when a ticket is assigned to them. */
const LATECOMER = 'U0LATE0001';
/** A Slack user whose profile has no email address. */
const NO_EMAIL = 'U0NOMAIL01';

describeEachDatabase('email addresses looked up when the email is sent', (suite) => {
  let smtp: TestSmtpServer;
  let templates = '';
  let endStartUpOutage: () => void = () => undefined;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    // A company override that shows the time zone the email is written for.
    templates = tempDir('ticketbot-email-tz-');
    mkdirSync(join(templates, 'ticket_assigned'));
    writeFileSync(
      join(templates, 'ticket_assigned', 'text.pug'),
      [
        'extends ../text-layout.pug',
        'block content',
        "  +line(recipient.name ? t('greeting', { name: recipient.name }) : t('greeting_anonymous'))",
        "  +line('#' + ticket.id + ' ' + formatDate(ticket.createdAt) + ' [' + timeZone + ']')",
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await smtp?.close();
  });
  const app = useSlackTestApp(
    suite,
    () => ({
      SMTP_URL: smtp.url,
      EMAIL_TEMPLATES_DIR: templates,
      // Retries come round within a second (the backoff below is short too).
      EMAIL_QUEUE_CRON: '* * * * * *',
    }),
    undefined,
    {
      beforeStart: (slack) => {
        slack.addUser(TECHNICIAN, {
          name: 'Tomoko Tech',
          email: 'tomoko@example.com',
          locale: 'fr-FR',
          tz: 'Asia/Tokyo',
        });
        slack.addUser(SECOND_TECHNICIAN, { name: 'Tess Tech', email: 'tess@example.com' });
        slack.addUser(LATECOMER, { name: 'Lee Late', email: 'lee@example.com', locale: 'en-US' });
        slack.addUser(NO_EMAIL, { name: 'Nomail Bot', email: null });
        // Slack cannot be reached about the first technician while ticketbot starts: their
        // profile is not fetched with the roster's, and the first ticket finds them unknown.
        endStartUpOutage = slack.outage('users.info', (args) => args.user === TECHNICIAN);
      },
      start: { emailRetry: { baseDelayMs: 200, maxDelayMs: 500, maxAttempts: 20 } },
    },
  );

  const outboxOf = (where: Record<string, unknown>) =>
    app.bot.db.models.EmailOutbox.findAll({ where, order: [['id', 'ASC']] });
  const waitForRow = (where: Record<string, unknown>, what: string) =>
    app.slack.waitFor(async () => (await outboxOf(where))[0], what);

  it('fetches the seeded roster’s profiles at start-up, before anyone opens a ticket', async () => {
    const seeded = await app.slack.waitFor(async () => {
      const user = await app.bot.db.models.User.findByPk(SECOND_TECHNICIAN);
      return user?.profileRefreshedAt ? user : undefined;
    }, 'the second technician’s profile');
    expect(seeded).toMatchObject({ name: 'Tess Tech', email: 'tess@example.com', isTechnician: true });
    expect(app.slack.callsTo('users.info').some((call) => call.args.user === SECOND_TECHNICIAN)).toBe(true);
  });

  it('the technician named on the very first ticket, never looked up before, gets the "assigned" email in their language and time zone', async () => {
    // The start-up lookup, and the Web API client's two retries of it, all failed.
    await app.slack.waitFor(
      () => app.slack.callsTo('users.info').filter((call) => call.args.user === TECHNICIAN).length >= 3,
      'the start-up lookup that failed',
    );
    const unknown = await app.bot.db.models.User.findByPk(TECHNICIAN);
    expect(unknown?.email ?? null).toBeNull();
    endStartUpOutage();

    const card = await app.createTicket(REQUESTER, 'First ticket of the day', {
      technician: { technician: { type: 'static_select', selected_option: { value: TECHNICIAN } } },
    });
    const ticket = (await ticketOfCard(app.bot.db, card.ts))!;
    await smtp.waitFor(() => smtp.received.some((mail) => mail.envelopeTo.includes('tomoko@example.com')));
    const mail = smtp.received.find((m) => m.envelopeTo.includes('tomoko@example.com'))!;
    expect(mail.parsed.subject).toBe(`[#${ticket.id}] Attribué à vous : First ticket of the day`);
    const tokyo = new Intl.DateTimeFormat('fr-FR', {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: 'Asia/Tokyo',
    }).format(ticket.createdAt);
    expect(mail.parsed.text).toContain('Bonjour Tomoko Tech,');
    expect(mail.parsed.text).toContain(`#${ticket.id} ${tokyo} [Asia/Tokyo]`);
    const row = await waitForRow(
      { ticketId: ticket.id, template: 'ticket_assigned', status: 'sent' },
      'the email recorded as sent',
    );
    expect(row).toMatchObject({ recipientUserId: TECHNICIAN, recipient: 'tomoko@example.com', attempts: 1 });

    // Now the profile is fresh: the next email to them is sent without asking Slack again.
    const lookups = app.slack.callsTo('users.info').filter((call) => call.args.user === TECHNICIAN).length;
    await addComment(asActor(app.bot.services, REQUESTER), { ticketId: ticket.id, body: 'Any news?' });
    await smtp.waitFor(
      () => smtp.received.filter((m) => m.envelopeTo.includes('tomoko@example.com')).length === 2,
    );
    expect(app.slack.callsTo('users.info').filter((call) => call.args.user === TECHNICIAN)).toHaveLength(
      lookups,
    );
  });

  it('Slack unreachable when the email is sent: the email waits, is tried again, and goes out once Slack answers', async () => {
    await app.bot.db.models.User.create({ id: LATECOMER, isTechnician: true });
    const endOutage = app.slack.outage('users.info', (args) => args.user === LATECOMER);
    const card = await app.createTicket(REQUESTER, 'Latecomer ticket');
    const ticket = (await ticketOfCard(app.bot.db, card.ts))!;
    await assignTicket(asActor(app.bot.services, TECHNICIAN), {
      ticketId: ticket.id,
      technicianId: LATECOMER,
    });
    const where = { ticketId: ticket.id, recipientUserId: LATECOMER };
    const waiting = await app.slack.waitFor(async () => {
      const [row] = await outboxOf(where);
      return row && row.status === 'pending' && row.attempts >= 1 ? row : undefined;
    }, 'a failed attempt recorded');
    expect(waiting.recipient).toBeNull();
    expect(waiting.lastError).toMatch(/^could not look the address up in Slack: users\.info failed: /);
    expect(waiting.lastSmtpCode).toBeNull();
    expect(smtp.received.some((mail) => mail.envelopeTo.includes('lee@example.com'))).toBe(false);

    endOutage();
    await smtp.waitFor(() => smtp.received.some((mail) => mail.envelopeTo.includes('lee@example.com')));
    const sent = await waitForRow({ ...where, status: 'sent' }, 'the email recorded as sent');
    expect(sent.recipient).toBe('lee@example.com');
    expect(sent.attempts).toBeGreaterThanOrEqual(2);
    const mail = smtp.received.find((m) => m.envelopeTo.includes('lee@example.com'))!;
    expect(mail.parsed.subject).toBe(`[#${ticket.id}] Assigned to you: Latecomer ticket`);
  });

  it('Slack has no email address for the person: skipped with the reason, on the status page and in /metrics', async () => {
    await app.bot.db.models.User.create({ id: NO_EMAIL, isTechnician: true });
    const card = await app.createTicket(REQUESTER, 'Nobody to mail');
    const ticket = (await ticketOfCard(app.bot.db, card.ts))!;
    await assignTicket(asActor(app.bot.services, TECHNICIAN), {
      ticketId: ticket.id,
      technicianId: NO_EMAIL,
    });
    const skipped = await waitForRow(
      { ticketId: ticket.id, recipientUserId: NO_EMAIL, status: 'skipped' },
      'the email skipped',
    );
    expect(skipped).toMatchObject({ recipient: null, attempts: 1, lastSmtpCode: null });
    expect(skipped.lastError).toBe(
      'Slack has no email address for this person (without the users:read.email scope it gives none at all)',
    );
    // Final: later drains leave it alone.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await skipped.reload()).attempts).toBe(1);

    const page = await (await fetch(`${app.bot.url}/emails`)).text();
    const text = page.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(text).toContain('1 Skipped');
    expect(text).toMatch(
      /Skipped 1 Recipient .*? Nomail Bot ticket_assigned #\d+ 1 .*? Slack has no email address for this person/,
    );
    expect(page).toContain(`action="/emails/${skipped.id}/retry"`);

    const metrics = await (await fetch(`${app.bot.url}/metrics`)).text();
    expect(metrics).toContain('ticketbot_email_outbox{status="skipped"} 1');
    expect(metrics).toContain('ticketbot_emails_failed_total{outcome="skipped"} 1');
  });
});
