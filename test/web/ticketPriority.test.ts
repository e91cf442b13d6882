import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import {
  asActor,
  changeStatus,
  createTicket,
  createTicketHooks,
  type TicketServices,
} from '../../src/tickets/index.js';
import { SessionStore } from '../../src/web/sessions.js';
import { describeEachDatabase } from '../support/db.js';
import {
  basic,
  PEOPLE,
  type RunningPage,
  seedPeople,
  signInEnv,
  startStatusPage,
  visibleText,
} from './support.js';

// The ticket page's priority form (issue 15) over HTTP: a technician signed in with Slack
// changes the priority through the rules (due times derived again, an event); nobody else can,
// a form without its CSRF token is refused, and a refusal of the rules is explained on the page.
// That the Slack card follows is test/slack/webPriority.test.ts.

describeEachDatabase('status page: changing a ticket’s priority', (suite) => {
  const teamId = 'T0PRIOWEB1';
  let page: RunningPage;
  let shared: RunningPage;
  let services: TicketServices;
  const sessions: Record<string, string> = {};
  const password = { STATUS_PAGE_USER: 'manager', STATUS_PAGE_PASSWORD: 'correct horse battery' };

  /** A browser's visit: the page, and the CSRF cookie and token its form carries. */
  const visit = async (path: string, who?: string, at: RunningPage = page, headers = {}) => {
    const response = await fetch(`${at.url}${path}`, {
      headers: { cookie: who ? (sessions[who] ?? '') : '', ...headers },
      redirect: 'manual',
    });
    const csrf = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const html = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    return { status: response.status, html, csrf, token };
  };
  const post = async (
    ticketId: number,
    fields: Record<string, string>,
    cookie: string,
    at: RunningPage = page,
    headers = {},
  ) => {
    const response = await fetch(`${at.url}/tickets/${ticketId}/priority`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
    return {
      status: response.status,
      location: response.headers.get('location'),
      html: await response.text(),
    };
  };
  /** The version the ticket page's form carries. */
  const versionIn = (html: string) => /name="version" value="(\d+)"/.exec(html)?.[1] ?? '';
  const newTicket = async (title: string) =>
    (await createTicket(asActor(services, PEOPLE.requester.id), { title })).ticket;

  beforeAll(async () => {
    await seedPeople(suite.db);
    // The service-level policy of a default set-up, so due times are kept and can move.
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: suite.url, LOG_LEVEL: 'silent' });
    services = { db: suite.db, hooks: createTicketHooks(), logger: createLogger('silent'), sla: config.sla };
    page = await startStatusPage(
      suite.db,
      suite.url,
      signInEnv('http://127.0.0.1:9', 'http://127.0.0.1'),
      undefined,
      { teamId, tickets: services },
    );
    shared = await startStatusPage(suite.db, suite.url, password, undefined, { tickets: services });
    const store = new SessionStore(suite.db, { idleMs: 3_600_000, maxMs: 3_600_000 });
    for (const person of [PEOPLE.requester, PEOPLE.technician, PEOPLE.admin]) {
      const { id } = await store.start({ userId: person.id, teamId, name: person.name });
      sessions[person.id] = `ticketbot_session=${id}`;
    }
  });
  afterAll(async () => {
    await page?.close();
    await shared?.close();
  });

  it('lets a signed-in technician change it: 303 back with a notice, due times derived again, an event', async () => {
    const ticket = await newTicket('Server room hot');
    expect(ticket.slaResponseDueAt).toBeInstanceOf(Date);
    const { html, csrf, token } = await visit(`/tickets/${ticket.id}`, PEOPLE.technician.id);
    expect(html).toContain(`action="/tickets/${ticket.id}/priority"`);
    expect(html).toMatch(/<option value="normal" selected/);
    const answer = await post(
      ticket.id,
      { _csrf: token, priority: 'urgent', version: versionIn(html) },
      `${sessions[PEOPLE.technician.id]}; ${csrf}`,
    );
    expect(answer.status).toBe(303);
    expect(answer.location).toBe(`/tickets/${ticket.id}?notice=priority`);

    const after = (await suite.db.models.Ticket.findByPk(ticket.id))!;
    expect(after).toMatchObject({ priority: 'urgent', version: ticket.version + 1 });
    // Urgent targets are shorter than normal ones: both due times move earlier.
    expect(after.slaResponseDueAt!.getTime()).toBeLessThan(ticket.slaResponseDueAt!.getTime());
    expect(after.slaResolutionDueAt!.getTime()).toBeLessThan(ticket.slaResolutionDueAt!.getTime());
    const events = await suite.db.models.TicketEvent.findAll({
      where: { ticketId: ticket.id, type: 'priority_changed' },
    });
    expect(events.map((e) => [e.actorId, e.fromValue, e.toValue])).toEqual([
      [PEOPLE.technician.id, 'normal', 'urgent'],
    ]);

    const back = visibleText((await visit(answer.location!, PEOPLE.technician.id)).html);
    expect(back).toContain('Priority changed.');
    expect(back).toContain('Camille Roux changed the priority from Normal to Urgent');
  });

  it('shows the form to technicians and admins signed in with Slack only', async () => {
    const ticket = await newTicket('Projector flickers');
    const form = `action="/tickets/${ticket.id}/priority"`;
    expect((await visit(`/tickets/${ticket.id}`, PEOPLE.admin.id)).html).toContain(form);
    const own = await visit(`/tickets/${ticket.id}`, PEOPLE.requester.id);
    expect(own.status).toBe(200);
    expect(own.html).not.toContain(form);
    const viaPassword = await visit(`/tickets/${ticket.id}`, undefined, shared, {
      authorization: basic('manager', 'correct horse battery'),
    });
    expect(viaPassword.status).toBe(200);
    expect(viaPassword.html).not.toContain(form);
    // A closed ticket is reopened first: no form.
    await changeStatus(asActor(services, PEOPLE.technician.id), { ticketId: ticket.id, status: 'closed' });
    expect((await visit(`/tickets/${ticket.id}`, PEOPLE.technician.id)).html).not.toContain(form);
  });

  it('refuses the requester, the shared password and a visitor not signed in; nothing changes', async () => {
    const ticket = await newTicket('Keyboard sticky');
    // The requester's own ticket page has no form; the time-zone page's token is theirs all the same.
    const requester = await visit('/timezone', PEOPLE.requester.id);
    expect(requester.token).not.toBe('');
    const refused = await post(
      ticket.id,
      { _csrf: requester.token, priority: 'urgent', version: String(ticket.version) },
      `${sessions[PEOPLE.requester.id]}; ${requester.csrf}`,
    );
    expect(refused.status).toBe(403);
    expect(visibleText(refused.html)).toContain('Only technicians and admins can change a ticket here.');

    const auth = { authorization: basic('manager', 'correct horse battery') };
    const viaPassword = await visit('/timezone', undefined, shared, auth);
    const sharedAnswer = await post(
      ticket.id,
      { _csrf: viaPassword.token, priority: 'urgent', version: String(ticket.version) },
      viaPassword.csrf,
      shared,
      auth,
    );
    expect(sharedAnswer.status).toBe(403);
    expect(visibleText(sharedAnswer.html)).toContain('signed in with Slack as themselves');

    // Not signed in: the sign-in guard answers (a form post is not redirected to sign in).
    const anonymous = await post(ticket.id, { priority: 'urgent', version: String(ticket.version) }, '');
    expect(anonymous.status).toBe(401);

    const after = (await suite.db.models.Ticket.findByPk(ticket.id))!;
    expect(after).toMatchObject({ priority: 'normal', version: ticket.version });
    expect(
      await suite.db.models.TicketEvent.count({ where: { ticketId: ticket.id, type: 'priority_changed' } }),
    ).toBe(0);
  });

  it('refuses a form without its CSRF token, or with another’s', async () => {
    const ticket = await newTicket('Mouse wheel stuck');
    const technician = sessions[PEOPLE.technician.id]!;
    const mine = await visit(`/tickets/${ticket.id}`, PEOPLE.technician.id);
    const admins = await visit(`/tickets/${ticket.id}`, PEOPLE.admin.id);
    const fields = { priority: 'high', version: versionIn(mine.html) };
    for (const [cookie, body] of [
      [`${technician}; ${mine.csrf}`, fields],
      [`${technician}; ${mine.csrf}`, { ...fields, _csrf: 'made-up' }],
      [technician, { ...fields, _csrf: mine.token }],
      // The admin's token and cookie, sent with the technician's session.
      [`${technician}; ${admins.csrf}`, { ...fields, _csrf: admins.token }],
    ] as const) {
      const answer = await post(ticket.id, body, cookie);
      expect(answer.status).toBe(403);
      expect(visibleText(answer.html)).toContain('This request was refused');
    }
    const after = (await suite.db.models.Ticket.findByPk(ticket.id))!;
    expect(after).toMatchObject({ priority: 'normal', version: ticket.version });
  });

  it('answers an invalid value with 400 and says so on the ticket page', async () => {
    const ticket = await newTicket('Monitor blank');
    const { html, csrf, token } = await visit(`/tickets/${ticket.id}`, PEOPLE.technician.id);
    const cookie = `${sessions[PEOPLE.technician.id]}; ${csrf}`;
    for (const fields of <Array<Record<string, string>>>[
      { priority: 'critical', version: versionIn(html) },
      { priority: 'high', version: 'latest' },
      { version: versionIn(html) },
    ]) {
      const answer = await post(ticket.id, { _csrf: token, ...fields }, cookie);
      expect(answer.status).toBe(400);
      expect(answer.html).toContain('id="priority-error"');
      expect(visibleText(answer.html)).toContain('Pick one of the priorities.');
      // The page itself, with the form to try again.
      expect(answer.html).toContain(`action="/tickets/${ticket.id}/priority"`);
    }
    const after = (await suite.db.models.Ticket.findByPk(ticket.id))!;
    expect(after).toMatchObject({ priority: 'normal', version: ticket.version });
  });

  it('explains a refusal of the rules on the page: a stale page, a closed ticket, the same priority', async () => {
    const ticket = await newTicket('Laptop slow');
    const { html, csrf, token } = await visit(`/tickets/${ticket.id}`, PEOPLE.technician.id);
    const cookie = `${sessions[PEOPLE.technician.id]}; ${csrf}`;
    const seen = versionIn(html);

    const same = await post(ticket.id, { _csrf: token, priority: 'normal', version: seen }, cookie);
    expect(same.status).toBe(409);
    expect(visibleText(same.html)).toContain('The ticket already has that priority.');

    // Someone changes the ticket meanwhile: the page's version is stale.
    await changeStatus(asActor(services, PEOPLE.technician.id), {
      ticketId: ticket.id,
      status: 'in_progress',
    });
    const stale = await post(ticket.id, { _csrf: token, priority: 'high', version: seen }, cookie);
    expect(stale.status).toBe(409);
    expect(visibleText(stale.html)).toContain('Someone changed this ticket meanwhile');
    // The page shown is the ticket as it is now, with its new version in the form.
    expect(versionIn(stale.html)).toBe(String(Number(seen) + 1));

    await changeStatus(asActor(services, PEOPLE.technician.id), { ticketId: ticket.id, status: 'closed' });
    const closed = await post(
      ticket.id,
      { _csrf: token, priority: 'high', version: String(Number(seen) + 2) },
      cookie,
    );
    expect(closed.status).toBe(409);
    expect(visibleText(closed.html)).toContain('This ticket is closed; reopen it first.');

    const after = (await suite.db.models.Ticket.findByPk(ticket.id))!;
    expect(after.priority).toBe('normal');
    expect(
      await suite.db.models.TicketEvent.count({ where: { ticketId: ticket.id, type: 'priority_changed' } }),
    ).toBe(0);
  });

  it('answers a ticket that does not exist with 404', async () => {
    const { csrf, token } = await visit('/timezone', PEOPLE.technician.id);
    const answer = await post(
      999_999,
      { _csrf: token, priority: 'high', version: '1' },
      `${sessions[PEOPLE.technician.id]}; ${csrf}`,
    );
    expect(answer.status).toBe(404);
  });
});
