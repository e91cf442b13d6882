import { QueryTypes } from 'sequelize';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTicket } from '../../src/tickets/index.js';
import { FAILURES_ALLOWED } from '../../src/web/rateLimits.js';
import { sessionKey } from '../../src/web/sessions.js';
import { describeEachDatabase } from '../support/db.js';
import { FakeSlack } from '../support/slackApi.js';
import type { SlackOidc } from '../support/slackOidc.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  freePort,
  PEOPLE,
  type RunningPage,
  seedPeople,
  signInEnv,
  startStatusPage,
  visibleText,
} from './support.js';

// Sign in with Slack over HTTP, step by step as a browser does it (redirects followed by hand,
// cookies carried by hand), against the test Slack's OpenID Connect provider. Every way in that
// should be refused is tried. test/web/signInBrowser.test.ts runs the same sign-in in Chromium.

const CALLBACK = '/signin/slack/callback';

/** The `name=value` of one Set-Cookie in a response, or undefined. */
function cookieFrom(response: Response, name: string): string | undefined {
  const line = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
  return line?.split(';')[0];
}

type Person = { id: string; name: string };

function setCookieLine(response: Response, name: string): string {
  return response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`)) ?? '';
}

describeEachDatabase('Sign in with Slack', (suite) => {
  let slack: FakeSlack;
  let oidc: SlackOidc;
  let site: RunningPage;
  let replica: RunningPage;
  let publicUrl = '';
  const tickets = { alice: 0, bruno: 0 };

  const env = () => signInEnv(slack.url, publicUrl);

  beforeAll(async () => {
    const services = await seedPeople(suite.db);
    tickets.alice = (
      await createTicket(services.as(PEOPLE.requester.id), { title: 'Alice’s printer' })
    ).ticket.id;
    tickets.bruno = (
      await createTicket(services.as(PEOPLE.otherRequester.id), { title: 'Bruno’s screen' })
    ).ticket.id;
    slack = await FakeSlack.start();
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    oidc = slack.signIn(CLIENT_ID, CLIENT_SECRET, `${publicUrl}${CALLBACK}`);
    site = await startStatusPage(suite.db, suite.url, env(), undefined, { teamId: slack.teamId, port });
    // A second ticketbot process on the same database, as a replica behind a load balancer.
    replica = await startStatusPage(suite.db, suite.url, env(), undefined, { teamId: slack.teamId });
  });
  afterAll(async () => {
    await site?.close();
    await replica?.close();
    await slack?.stop();
  });

  const get = (path: string, cookie = '', base = site.url) =>
    fetch(`${base}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });

  /** Up to Slack's redirect back: the callback URL (with code and state) and this browser's sign-in cookie. */
  async function toCallback(
    person: Person = PEOPLE.requester,
    back = '/',
  ): Promise<{ callback: string; pending: string }> {
    oidc.person = { userId: person.id, name: person.name };
    const start = await get(`/signin/slack?back=${encodeURIComponent(back)}`);
    expect(start.status).toBe(303);
    const pending = cookieFrom(start, 'ticketbot_signin');
    expect(pending).toBeDefined();
    const authorize = await fetch(start.headers.get('location') ?? '', { redirect: 'manual' });
    expect(authorize.status, await authorize.clone().text()).toBe(302);
    return { callback: authorize.headers.get('location') ?? '', pending: pending ?? '' };
  }

  /** A whole sign-in; the session cookie and where ticketbot sent the browser. */
  async function signIn(
    person: Person = PEOPLE.requester,
    back = '/',
  ): Promise<{ cookie: string; location: string }> {
    const { callback, pending } = await toCallback(person, back);
    const done = await fetch(callback, { headers: { cookie: pending }, redirect: 'manual' });
    expect(done.status, visibleText(await done.clone().text())).toBe(303);
    const cookie = cookieFrom(done, 'ticketbot_session');
    expect(cookie).toBeDefined();
    return { cookie: cookie ?? '', location: done.headers.get('location') ?? '' };
  }

  const sessionRows = () =>
    suite.db.sequelize.query<{ id_hash: string; user_id: string }>(
      'SELECT id_hash, user_id FROM web_sessions',
      {
        type: QueryTypes.SELECT,
      },
    );

  it('asks an unknown visitor to sign in with Slack, then brings them back to the page they asked for', async () => {
    const asked = await get(`/tickets/${tickets.alice}`);
    expect(asked.status).toBe(303);
    expect(asked.headers.get('location')).toBe(
      `/signin?back=${encodeURIComponent(`/tickets/${tickets.alice}`)}`,
    );
    const page = await get(asked.headers.get('location') ?? '');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(visibleText(html)).toContain('Sign in with Slack');
    expect(html).toContain(`href="/signin/slack?back=${encodeURIComponent(`/tickets/${tickets.alice}`)}"`);

    const { cookie, location } = await signIn(PEOPLE.requester, `/tickets/${tickets.alice}`);
    expect(location).toBe(`/tickets/${tickets.alice}`);
    const ticket = await get(location, cookie);
    expect(ticket.status).toBe(200);
    const text = visibleText(await ticket.text());
    expect(text).toContain('Alice’s printer');
    expect(text).toContain(`Signed in as ${PEOPLE.requester.name}`);

    // What ticketbot asked Slack for: who the person is, this workspace, a fresh state and nonce.
    const authorize = oidc.requests.filter((request) => request.path === '/openid/connect/authorize').at(-1);
    expect(authorize?.params).toMatchObject({
      response_type: 'code',
      client_id: CLIENT_ID,
      scope: 'openid email profile',
      redirect_uri: `${publicUrl}${CALLBACK}`,
      team: slack.teamId,
    });
    expect(authorize?.params.state?.length).toBeGreaterThanOrEqual(32);
    expect(authorize?.params.nonce?.length).toBeGreaterThanOrEqual(32);
    // Slack's discovery document offers no PKCE: none is sent (see slackSignIn.ts).
    expect(authorize?.params.code_challenge).toBeUndefined();
  });

  it('sets the session cookie HttpOnly, SameSite=Lax, for the whole site, ending at the absolute expiry', async () => {
    const { callback, pending } = await toCallback();
    const done = await fetch(callback, { headers: { cookie: pending }, redirect: 'manual' });
    const line = setCookieLine(done, 'ticketbot_session');
    expect(line).toMatch(/; Path=\//);
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Lax/);
    expect(line).not.toMatch(/; Secure/);
    const expires = new Date(/Expires=([^;]+)/.exec(line)?.[1] ?? '');
    expect(expires.getTime() - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect(expires.getTime() - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);
    // The database keeps a hash of the id, never the id itself.
    const id = (cookieFrom(done, 'ticketbot_session') ?? '').split('=')[1] ?? '';
    const rows = await sessionRows();
    expect(rows.map((row) => row.id_hash)).toContain(sessionKey(id));
    expect(JSON.stringify(rows)).not.toContain(id);
  });

  it('gives a new session id at every sign-in and ends the one the browser held', async () => {
    const first = await signIn();
    const { callback, pending } = await toCallback();
    const second = await fetch(callback, {
      headers: { cookie: `${pending}; ${first.cookie}` },
      redirect: 'manual',
    });
    const renewed = cookieFrom(second, 'ticketbot_session') ?? '';
    expect(renewed).not.toBe(first.cookie);
    expect((await get('/', renewed)).status).toBe(200);
    expect((await get('/', first.cookie)).status).toBe(303);
  });

  it('shows a requester their own tickets only; someone else’s ticket is 404, the email queue 403', async () => {
    const { cookie } = await signIn(PEOPLE.requester);
    const list = await (await get('/', cookie)).text();
    expect(list).toContain(`/tickets/${tickets.alice}"`);
    expect(list).not.toContain(`/tickets/${tickets.bruno}"`);
    expect(visibleText(list)).toContain('Your tickets');
    expect(visibleText(list)).not.toContain('At a glance');
    // Asking for another requester's tickets by filter changes nothing.
    const filtered = await (await get(`/?requester=${PEOPLE.otherRequester.id}`, cookie)).text();
    expect(filtered).not.toContain(`/tickets/${tickets.bruno}"`);
    const other = await get(`/tickets/${tickets.bruno}`, cookie);
    expect(other.status).toBe(404);
    expect((await get('/tickets/999999', cookie)).status).toBe(404);
    expect((await get('/emails', cookie)).status).toBe(403);
    expect(list).not.toContain('href="/emails"');
  });

  it('shows technicians every ticket but not the email queue; admins see the queue too', async () => {
    const technician = await signIn(PEOPLE.technician);
    const list = await (await get('/', technician.cookie)).text();
    expect(list).toContain(`/tickets/${tickets.alice}"`);
    expect(list).toContain(`/tickets/${tickets.bruno}"`);
    expect((await get(`/tickets/${tickets.bruno}`, technician.cookie)).status).toBe(200);
    expect((await get('/emails', technician.cookie)).status).toBe(403);
    // Nor retry a dead email, even with the page's own token.
    const page = await get('/', technician.cookie);
    const csrf = cookieFrom(page, 'ticketbot_csrf') ?? '';
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const retry = await fetch(`${site.url}/emails/1/retry`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: `${technician.cookie}; ${csrf}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ _csrf: token }).toString(),
    });
    expect(retry.status).toBe(403);
    expect(visibleText(await retry.text())).toContain('Only helpdesk admins');
    const admin = await signIn(PEOPLE.admin);
    expect((await get('/emails', admin.cookie)).status).toBe(200);
    expect(await (await get('/', admin.cookie)).text()).toContain('href="/emails"');
  });

  it('follows the roster at once: a requester made technician sees every ticket at the next page', async () => {
    const { cookie } = await signIn(PEOPLE.otherRequester);
    expect((await get(`/tickets/${tickets.alice}`, cookie)).status).toBe(404);
    await suite.db.models.User.update({ isTechnician: true }, { where: { id: PEOPLE.otherRequester.id } });
    try {
      expect((await get(`/tickets/${tickets.alice}`, cookie)).status).toBe(200);
    } finally {
      await suite.db.models.User.update({ isTechnician: false }, { where: { id: PEOPLE.otherRequester.id } });
    }
    expect((await get(`/tickets/${tickets.alice}`, cookie)).status).toBe(404);
  });

  it('shares sessions between replicas, and a sign-out on one ends it on every one', async () => {
    const { cookie } = await signIn();
    expect((await get('/', cookie, replica.url)).status).toBe(200);
    const pageResponse = await get('/', cookie);
    const csrf = cookieFrom(pageResponse, 'ticketbot_csrf') ?? '';
    const formToken = /name="_csrf" value="([^"]+)"/.exec(await pageResponse.text())?.[1] ?? '';
    expect(formToken).not.toBe('');
    const out = await fetch(`${site.url}/signout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `${cookie}; ${csrf}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: formToken }).toString(),
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/signin?signed_out=1');
    expect(setCookieLine(out, 'ticketbot_session')).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(visibleText(await (await get('/signin?signed_out=1')).text())).toContain('You are signed out.');
    // test: refuses a signed-out session reused — here and on the other replica.
    expect((await get('/', cookie)).status).toBe(303);
    expect((await get('/', cookie, replica.url)).status).toBe(303);
  });

  it('refuses a sign-out without the page’s token, or with another session’s', async () => {
    const alice = await signIn(PEOPLE.requester);
    const bruno = await signIn(PEOPLE.otherRequester);
    const brunoPage = await get('/', bruno.cookie);
    const brunoCsrf = cookieFrom(brunoPage, 'ticketbot_csrf') ?? '';
    const brunoToken = /name="_csrf" value="([^"]+)"/.exec(await brunoPage.text())?.[1] ?? '';
    for (const [cookie, token] of [
      [alice.cookie, ''],
      [`${alice.cookie}; ${brunoCsrf}`, brunoToken],
    ] as const) {
      const out = await fetch(`${site.url}/signout`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: token }).toString(),
      });
      expect(out.status).toBe(403);
    }
    expect((await get('/', alice.cookie)).status).toBe(200);
  });

  it('refuses a callback whose state is not the one this browser was given', async () => {
    const { callback, pending } = await toCallback();
    const wrong = new URL(callback);
    wrong.searchParams.set('state', 'x'.repeat(43));
    const done = await fetch(wrong, { headers: { cookie: pending }, redirect: 'manual' });
    expect(done.status).toBe(401);
    expect(cookieFrom(done, 'ticketbot_session')).toBeUndefined();
    expect(visibleText(await done.text())).toContain('Slack did not confirm who you are');
    // Nor a callback in a browser that never started a sign-in (login CSRF).
    const elsewhere = await toCallback();
    const stranger = await fetch(elsewhere.callback, { redirect: 'manual' });
    expect(stranger.status).toBe(400);
    expect(cookieFrom(stranger, 'ticketbot_session')).toBeUndefined();
  });

  it('refuses a code used twice', async () => {
    const { callback, pending } = await toCallback();
    const first = await fetch(callback, { headers: { cookie: pending }, redirect: 'manual' });
    expect(first.status).toBe(303);
    // The browser's sign-in cookie is spent…
    expect(setCookieLine(first, 'ticketbot_signin')).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect((await fetch(callback, { redirect: 'manual' })).status).toBe(400);
    // …and a replay that carries it anyway meets Slack, which takes a code once (invalid_code).
    const replay = await fetch(callback, { headers: { cookie: pending }, redirect: 'manual' });
    expect(replay.status).toBe(401);
    expect(cookieFrom(replay, 'ticketbot_session')).toBeUndefined();
    const exchanges = oidc.requests.filter((request) => request.path === '/api/openid.connect.token');
    expect(exchanges.at(-1)?.params.code).toBe(new URL(callback).searchParams.get('code'));
  });

  it('refuses an id_token from another workspace', async () => {
    oidc.person = { userId: 'U0OUTSIDER', name: 'Outsider', teamId: 'T0ELSEWHERE' };
    const start = await get('/signin/slack');
    const pending = cookieFrom(start, 'ticketbot_signin') ?? '';
    const authorize = await fetch(start.headers.get('location') ?? '', { redirect: 'manual' });
    const done = await fetch(authorize.headers.get('location') ?? '', {
      headers: { cookie: pending },
      redirect: 'manual',
    });
    expect(done.status).toBe(403);
    expect(cookieFrom(done, 'ticketbot_session')).toBeUndefined();
    expect(visibleText(await done.text())).toContain('another Slack workspace');
    expect((await sessionRows()).map((row) => row.user_id)).not.toContain('U0OUTSIDER');
  });

  it('refuses an id_token that Slack’s key did not sign', async () => {
    const { callback, pending } = await toCallback();
    oidc.forgeNextIdToken = true;
    const done = await fetch(callback, { headers: { cookie: pending }, redirect: 'manual' });
    expect(done.status).toBe(401);
    expect(cookieFrom(done, 'ticketbot_session')).toBeUndefined();
  });

  it('refuses a forged session cookie, and the stored hash used as a cookie', async () => {
    const { cookie } = await signIn();
    expect((await get('/', `ticketbot_session=${'A'.repeat(43)}`)).status).toBe(303);
    expect((await get('/', 'ticketbot_session=not-even-the-right-shape')).status).toBe(303);
    const id = cookie.split('=')[1] ?? '';
    expect((await get('/', `ticketbot_session=${sessionKey(id)}`)).status).toBe(303);
    expect((await get('/', cookie)).status).toBe(200);
  });

  it('refuses an expired session: idle too long, or past its absolute expiry', async () => {
    const idle = await signIn();
    const idleKey = sessionKey(idle.cookie.split('=')[1] ?? '');
    await suite.db.sequelize.query('UPDATE web_sessions SET last_seen_at = :past WHERE id_hash = :key', {
      replacements: { past: new Date(Date.now() - 13 * 3_600_000), key: idleKey },
    });
    expect((await get('/', idle.cookie)).status).toBe(303);
    expect((await sessionRows()).map((row) => row.id_hash)).not.toContain(idleKey);

    const old = await signIn();
    const oldKey = sessionKey(old.cookie.split('=')[1] ?? '');
    expect((await get('/', old.cookie)).status).toBe(200);
    await suite.db.sequelize.query('UPDATE web_sessions SET expires_at = :past WHERE id_hash = :key', {
      replacements: { past: new Date(Date.now() - 1000), key: oldKey },
    });
    expect((await get('/', old.cookie)).status).toBe(303);
    // A form posted with an expired session is not applied; it says to sign in again.
    const post = await fetch(`${site.url}/timezone`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: old.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'tz=Europe%2FParis',
    });
    expect(post.status).toBe(401);
  });

  it('says so when the person cancels at Slack, and only sends people back within the site', async () => {
    oidc.person = { userId: PEOPLE.requester.id };
    const start = await get(`/signin/slack?back=${encodeURIComponent(`/tickets/${tickets.alice}`)}`);
    const pending = cookieFrom(start, 'ticketbot_signin') ?? '';
    const state = new URL(start.headers.get('location') ?? '').searchParams.get('state') ?? '';
    const cancelled = await fetch(`${site.url}${CALLBACK}?error=access_denied&state=${state}`, {
      headers: { cookie: pending },
      redirect: 'manual',
    });
    expect(cancelled.status).toBe(401);
    const html = await cancelled.text();
    expect(visibleText(html)).toContain('cancelled');
    // Trying again still leads to the page first asked for.
    expect(html).toContain(`href="/signin/slack?back=${encodeURIComponent(`/tickets/${tickets.alice}`)}"`);
    for (const back of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
      const { location } = await signIn(PEOPLE.requester, back);
      expect(location, back).toBe('/');
    }
  });

  it('slows down failed sign-ins: past the limit a client gets 429', async () => {
    for (let i = 0; i < FAILURES_ALLOWED; i += 1) {
      const failed = await fetch(`${replica.url}${CALLBACK}?code=1.bad&state=nope`, { redirect: 'manual' });
      expect(failed.status).toBe(400);
    }
    const limited = await fetch(`${replica.url}${CALLBACK}?code=1.bad&state=nope`, { redirect: 'manual' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('ratelimit-policy')).toContain(`${FAILURES_ALLOWED}`);
  });
});

describeEachDatabase('Sign in with Slack behind https', (suite) => {
  let slack: FakeSlack;
  let site: RunningPage;
  const publicUrl = 'https://helpdesk.example.com';

  beforeAll(async () => {
    await seedPeople(suite.db);
    slack = await FakeSlack.start();
    slack.signIn(CLIENT_ID, CLIENT_SECRET, `${publicUrl}${CALLBACK}`).person = {
      userId: PEOPLE.requester.id,
    };
    site = await startStatusPage(suite.db, suite.url, signInEnv(slack.url, publicUrl), undefined, {
      teamId: slack.teamId,
    });
  });
  afterAll(async () => {
    await site?.close();
    await slack?.stop();
  });

  it('sets Secure cookies, the session one __Host- prefixed', async () => {
    const start = await fetch(`${site.url}/signin/slack`, { redirect: 'manual' });
    const pendingLine = setCookieLine(start, '__Secure-ticketbot_signin');
    expect(pendingLine).toMatch(/; Secure/);
    const authorize = await fetch(start.headers.get('location') ?? '', { redirect: 'manual' });
    // Slack sends the browser to PUBLIC_URL; here that is this test server (the proxy's job).
    const callback = (authorize.headers.get('location') ?? '').replace(publicUrl, site.url);
    const done = await fetch(callback, {
      headers: { cookie: pendingLine.split(';')[0] ?? '' },
      redirect: 'manual',
    });
    expect(done.status).toBe(303);
    const line = setCookieLine(done, '__Host-ticketbot_session');
    expect(line).toMatch(/; Path=\//);
    expect(line).toMatch(/; Secure/);
    expect(line).toMatch(/; HttpOnly/);
    expect(line).not.toMatch(/Domain=/i);
    const page = await fetch(`${site.url}/`, {
      headers: { cookie: line.split(';')[0] ?? '' },
      redirect: 'manual',
    });
    expect(page.status).toBe(200);
    expect(setCookieLine(page, '__Host-ticketbot_csrf')).toMatch(/; Secure/);
  });
});

describeEachDatabase('Sign in with Slack, against a provider that takes PKCE', (suite) => {
  let slack: FakeSlack;
  let oidc: SlackOidc;
  let site: RunningPage;

  beforeAll(async () => {
    await seedPeople(suite.db);
    slack = await FakeSlack.start();
    const port = await freePort();
    oidc = slack.signIn(CLIENT_ID, CLIENT_SECRET, `http://127.0.0.1:${port}${CALLBACK}`);
    oidc.advertisePkce = true;
    site = await startStatusPage(
      suite.db,
      suite.url,
      signInEnv(slack.url, `http://127.0.0.1:${port}`),
      undefined,
      { teamId: slack.teamId, port },
    );
  });
  afterAll(async () => {
    await site?.close();
    await slack?.stop();
  });

  it('sends a S256 code challenge and its verifier, and refuses a code exchanged with another verifier', async () => {
    oidc.person = { userId: PEOPLE.requester.id };
    const begin = async () => {
      const start = await fetch(`${site.url}/signin/slack`, { redirect: 'manual' });
      const pending = cookieFrom(start, 'ticketbot_signin') ?? '';
      const authorize = await fetch(start.headers.get('location') ?? '', { redirect: 'manual' });
      return { pending, callback: authorize.headers.get('location') ?? '' };
    };
    const good = await begin();
    const authorize = oidc.requests.filter((request) => request.path === '/openid/connect/authorize').at(-1);
    expect(authorize?.params.code_challenge_method).toBe('S256');
    expect(
      (await fetch(good.callback, { headers: { cookie: good.pending }, redirect: 'manual' })).status,
    ).toBe(303);
    const exchange = oidc.requests.filter((request) => request.path === '/api/openid.connect.token').at(-1);
    expect(exchange?.params.code_verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);

    const bad = await begin();
    const value = JSON.parse(decodeURIComponent(bad.pending.split('=').slice(1).join('='))) as Record<
      string,
      string
    >;
    value.verifier = 'v'.repeat(43);
    const tampered = `ticketbot_signin=${encodeURIComponent(JSON.stringify(value))}`;
    const refused = await fetch(bad.callback, { headers: { cookie: tampered }, redirect: 'manual' });
    expect(refused.status).toBe(401);
    expect(cookieFrom(refused, 'ticketbot_session')).toBeUndefined();
  });
});
