import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { runDigest } from '../../src/notifications/digestJob.js';
import { SessionStore } from '../../src/web/sessions.js';
import { describeEachDatabase } from '../support/db.js';
import { captureLogs } from '../support/logs.js';
import type { SlackCall } from '../support/slackApi.js';
import {
  ADMIN,
  OTHER_USER,
  REQUESTER,
  type SlackJson,
  TECHNICIAN,
  useSlackTestApp,
} from '../support/slackApp.js';
import { ticketOfCard } from '../support/slackCards.js';
import { TestSmtpServer } from '../support/smtpServer.js';
import { standIn } from '../support/standIn.js';
import { CLIENT_ID, CLIENT_SECRET } from '../web/support.js';

// Private request types (issue 14 §4), end to end: a run that opens a public and a private
// ticket (signed modal submissions, a thread reply in the private card, a status change, a
// digest, managers' emails over a real SMTP server), then every Slack call the test Slack
// recorded, every email and the status page as each kind of viewer gets it are searched for the
// private ticket's title and description: found only where they may be.

const PRIVATE_CHANNEL = 'G0HRPRIV01';
const PUBLIC_CHANNEL = 'C0PUBLIC01';
const MANAGER = 'boss@example.com';
const SECRET_TITLE = 'Salary slip zebra-title-7731';
const SECRET_DESCRIPTION = 'Bank account wrong, quokka-description-4410';
const SECRET_COMMENT = 'We fixed the payroll record';
const SECRETS = [SECRET_TITLE, 'zebra-title-7731', 'quokka-description-4410'];
const dmOf = (userId: string) => `D${userId.slice(1)}`;

describeEachDatabase('Slack: private request types stay out of public places', (suite) => {
  let smtpServer: TestSmtpServer | undefined;
  beforeAll(async () => {
    smtpServer = await TestSmtpServer.start();
  });
  afterAll(async () => smtpServer?.close());
  const smtp = standIn(() => smtpServer, 'The SMTP server');
  const app = useSlackTestApp(
    suite,
    () => ({
      SMTP_URL: smtp.url,
      MANAGER_EMAILS: MANAGER,
      EMAIL_NEW_TICKET_TO_MANAGERS: 'true',
      EMAIL_QUEUE_CRON: '* * * * * *',
      SLACK_CLIENT_ID: CLIENT_ID,
      SLACK_CLIENT_SECRET: CLIENT_SECRET,
      PUBLIC_URL: 'http://localhost:3999',
    }),
    undefined,
    {
      beforeStart: (slack) => {
        slack.addChannel(PRIVATE_CHANNEL, { name: 'hr-private', isPrivate: true });
        slack.addChannel(PUBLIC_CHANNEL, { name: 'general-public', isPrivate: false });
      },
    },
  );
  const settled = () => app.bot.slack!.settled();
  const text = (value: string) => ({ type: 'plain_text_input', value });

  async function typeModal(values: Record<string, Record<string, unknown>>) {
    const trigger = app.newTriggerId();
    await app.clickInHome(
      ADMIN,
      { type: 'button', action_id: 'request_type_edit', block_id: 'request_type_add', value: 'new' },
      { triggerId: trigger },
    );
    const opened: SlackJson = await app.slack.waitForCall(
      'views.open',
      (args) => args.trigger_id === trigger,
    );
    return app.submitView(ADMIN, opened, values);
  }

  /** Signs `userId` in to the status page (a session, as the Slack sign-in leaves one). */
  async function pageAs(userId: string, path: string): Promise<{ status: number; html: string }> {
    const sessions = new SessionStore(suite.db, { idleMs: 3_600_000, maxMs: 86_400_000 });
    const { id } = await sessions.start({ userId, teamId: app.slack.teamId, name: userId });
    const response = await fetch(`${app.bot.url}${path}`, {
      headers: { cookie: `ticketbot_session=${id}` },
      redirect: 'manual',
    });
    return { status: response.status, html: await response.text() };
  }

  it('keeps a private ticket to its channel, its requester and the staff', async () => {
    // A public ticket first, before any type is defined: its title may go anywhere.
    const publicCard = await app.createTicket(REQUESTER, 'Printer jammed on floor 2');
    await settled();

    // The App Home refuses a public channel, and one Slack does not know, for a private type.
    const hrForm = (channel: string) => ({
      rt_name: { rt_name: text('HR') },
      rt_assignment: { rt_assignment: { type: 'static_select', selected_option: { value: 'none' } } },
      rt_flags: {
        rt_flags: { type: 'checkboxes', selected_options: [{ value: 'private' }, { value: 'default' }] },
      },
      rt_private_channel: {
        rt_private_channel: { type: 'conversations_select', selected_conversation: channel },
      },
    });
    const refusedPublic = await typeModal(hrForm(PUBLIC_CHANNEL));
    expect(refusedPublic.json()).toEqual({
      response_action: 'errors',
      errors: { rt_private_channel: 'This channel is public: a private type needs a private channel.' },
    });
    const refusedUnknown = await typeModal(hrForm('G0NOSUCH01'));
    expect(refusedUnknown.json()).toMatchObject({
      response_action: 'errors',
      errors: { rt_private_channel: expect.stringContaining('/invite @ticketbot') },
    });
    expect(await suite.db.models.RequestType.count()).toBe(0);
    expect((await typeModal(hrForm(PRIVATE_CHANNEL))).text).toBe('');
    await settled();
    const hr = (await suite.db.models.RequestType.findOne({ where: { name: 'HR' } }))!;
    expect(hr).toMatchObject({ isPrivate: true, channelId: PRIVATE_CHANNEL });

    // The private ticket: /ticket opens on the default type (HR), submitted signed.
    const privateCard = await app.createTicket(REQUESTER, SECRET_TITLE, {
      description: { description: text(SECRET_DESCRIPTION) },
      request_type: {
        request_type: { type: 'static_select', selected_option: { value: String(hr.id) } },
      },
    });
    expect(privateCard.channel).toBe(PRIVATE_CHANNEL);
    expect(publicCard.channel).not.toBe(PRIVATE_CHANNEL);
    const ticket = (await ticketOfCard(suite.db, privateCard.ts))!;
    expect(ticket.requestTypeId).toBe(hr.id);
    await settled();

    // A technician's reply in the private card's thread is a comment, as usual.
    const replyTs = app.slack.postAs(TECHNICIAN, PRIVATE_CHANNEL, SECRET_COMMENT, privateCard.ts);
    await app.event({
      ...app.threadReply(privateCard, TECHNICIAN, replyTs, SECRET_COMMENT),
      channel_type: 'group',
    });
    await settled();
    await app.slack.waitFor(
      () => suite.db.models.Comment.findOne({ where: { ticketId: ticket.id, slackTs: replyTs } }),
      'the thread reply stored as a comment',
    );
    // A status change from the card.
    await app.click(TECHNICIAN, app.card(PRIVATE_CHANNEL, privateCard.ts), 'ticket_start');
    await settled();
    await app.slack.waitFor(
      async () => (await suite.db.models.Ticket.findByPk(ticket.id))?.status === 'in_progress' || undefined,
      'the ticket started',
    );

    // The requester follows it by DM: opened (with its title), the comment, the status change.
    const dms = () =>
      app.slack
        .callsTo('chat.postMessage')
        .filter((call) => call.args.channel === dmOf(REQUESTER) && call.response.ok)
        .map((call) => String(call.args.text));
    await app.slack.waitFor(
      () => (dms().some((dm) => dm.includes('is now In progress')) ? true : undefined),
      'the status change DM',
    );
    const mine = dms().filter((dm) => dm.includes(`#${ticket.id} `));
    expect(mine.find((dm) => dm.includes('is open'))).toContain('zebra-title-7731');
    expect(mine.find((dm) => dm.includes('is open'))).toContain(`/tickets/${ticket.id}`);
    expect(mine.some((dm) => dm.includes(SECRET_COMMENT))).toBe(true);
    expect(mine.some((dm) => dm.includes('is now In progress'))).toBe(true);

    // The digest, then every email the managers get.
    const digest = await runDigest(
      {
        db: suite.db,
        logger: createLogger('silent'),
        publicUrl: 'http://localhost:3999',
        mailDomain: 'localhost',
        managerEmails: [MANAGER],
        timeZone: 'UTC',
        owner: 'test',
      },
      new Date(Date.now() + 60_000),
    );
    expect(digest).toBe('queued');
    await smtp.waitFor(
      () => smtp.received.filter((email) => email.envelopeTo.includes(MANAGER)).length >= 3, // two new tickets, one digest
    );
    const managerMail = smtp.received
      .filter((email) => email.envelopeTo.includes(MANAGER))
      .map((email) => `${email.parsed.subject}\n${email.parsed.text}\n${String(email.parsed.html)}`);
    expect(managerMail.some((mail) => mail.includes('Printer jammed on floor 2'))).toBe(true);
    expect(
      managerMail.some((mail) => mail.includes(`#${ticket.id}`) && mail.includes('(private request)')),
    ).toBe(true);
    for (const secret of SECRETS) expect(managerMail.filter((mail) => mail.includes(secret))).toEqual([]);

    // Every Slack call: the private text only in the private channel, DMs to the requester and the
    // staff, App Homes of the requester and the staff, and the modals people typed it in.
    const allowed = new Set([PRIVATE_CHANNEL, ...[REQUESTER, TECHNICIAN, ADMIN].map(dmOf)]);
    const mayHold = (call: SlackCall) => {
      if (call.method.startsWith('views.') && call.method !== 'views.publish') return true;
      if (call.method === 'views.publish')
        return [REQUESTER, TECHNICIAN, ADMIN].includes(String(call.args.user_id));
      if (call.method === 'chat.postEphemeral') return false;
      return allowed.has(String(call.args.channel ?? ''));
    };
    const leaks = app.slack.calls
      .filter((call) => !mayHold(call))
      .filter((call) => SECRETS.some((secret) => JSON.stringify(call.args).includes(secret)));
    expect(leaks.map((call) => `${call.method} ${String(call.args.channel ?? call.args.user_id)}`)).toEqual(
      [],
    );
    expect(
      app.slack.calls.some((call) => call.method === 'views.publish' && call.args.user_id === OTHER_USER),
    ).toBe(false);

    // The status page: the staff see it, the requester their own, anyone else neither in the list,
    // nor in a search, nor at its address.
    const technicianList = await pageAs(TECHNICIAN, '/');
    expect(technicianList.html).toContain('zebra-title-7731');
    expect((await pageAs(TECHNICIAN, `/tickets/${ticket.id}`)).html).toContain('quokka-description-4410');
    expect((await pageAs(REQUESTER, '/')).html).toContain('zebra-title-7731');
    expect((await pageAs(REQUESTER, `/tickets/${ticket.id}`)).status).toBe(200);
    const stranger = [
      await pageAs(OTHER_USER, '/'),
      await pageAs(OTHER_USER, '/?q=zebra'),
      await pageAs(OTHER_USER, `/tickets/${ticket.id}`),
    ];
    expect(stranger[2]!.status).toBe(404);
    for (const page of stranger) for (const secret of SECRETS) expect(page.html).not.toContain(secret);
  });
});

describeEachDatabase(
  'Slack: at start-up, a private type whose channel is not private is not offered',
  (suite) => {
    const logs = captureLogs('warn');
    beforeAll(async () => {
      const type = (name: string, channelId: string) => ({
        name,
        technicianIds: '[]',
        fields: '[]',
        isPrivate: true,
        channelId,
      });
      await suite.db.models.RequestType.bulkCreate([
        type('Payroll', PUBLIC_CHANNEL),
        type('HR', PRIVATE_CHANNEL),
        type('Legal', 'G0GONE0001'),
      ]);
    });
    const app = useSlackTestApp(suite, {}, () => logs.logger, {
      beforeStart: (slack) => {
        slack.addChannel(PRIVATE_CHANNEL, { name: 'hr-private', isPrivate: true });
        slack.addChannel(PUBLIC_CHANNEL, { name: 'general-public', isPrivate: false });
      },
    });

    it('logs an error naming the type and the fix, and the modal offers only the private one', async () => {
      const errors = logs.entries.filter((entry) => entry.level === 50).map((entry) => String(entry.msg));
      expect(errors).toContainEqual(
        expect.stringMatching(/"Payroll" is not offered: its channel C0PUBLIC01 is public/),
      );
      expect(errors).toContainEqual(expect.stringMatching(/"Legal" is not offered: .*was not found/));
      expect(errors.join('\n')).not.toContain('"HR"');
      expect(
        app.slack
          .callsTo('conversations.info')
          .map((call) => call.args.channel)
          .sort(),
      ).toEqual([PRIVATE_CHANNEL, PUBLIC_CHANNEL, 'G0GONE0001'].sort());
      const trigger = app.newTriggerId();
      await app.command(REQUESTER, 'Question', 'C0GENERAL1', trigger);
      const modal: SlackJson = await app.slack.waitForCall(
        'views.open',
        (args) => args.trigger_id === trigger,
      );
      const shown = JSON.stringify(modal.args.view);
      expect(shown).toContain('HR');
      expect(shown).not.toContain('Payroll');
      expect(shown).not.toContain('Legal');
    });
  },
);
