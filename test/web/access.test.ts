import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/db.js';
import { basic, type RunningPage, startStatusPage, visibleText } from './support.js';

// Who gets in. Requests come from 127.0.0.1; a remote client is simulated the way a reverse
// proxy on this host reports one (X-Forwarded-For, trusted from loopback only).

const REMOTE = { 'X-Forwarded-For': '203.0.113.7' };

describe('status page access', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let open: RunningPage;
  let locked: RunningPage;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const slackEndpoint = (app: RunningPage['app']) => {
      // Stands in for Bolt's receiver, mounted after the status page like server.ts does.
      app.post('/slack/events', (_req, res) => {
        res.json({ reached: 'slack' });
      });
    };
    open = await startStatusPage(database.db, database.url, {}, slackEndpoint);
    locked = await startStatusPage(
      database.db,
      database.url,
      { STATUS_PAGE_USER: 'manager', STATUS_PAGE_PASSWORD: 'correct horse battery' },
      slackEndpoint,
    );
  });
  afterAll(async () => {
    await open?.close();
    await locked?.close();
    await database?.drop();
  });

  describe('without a password', () => {
    it('answers clients on this machine', async () => {
      const response = await fetch(`${open.url}/`);
      expect(response.status).toBe(200);
    });

    it('refuses other clients with a 403 that says why', async () => {
      for (const path of ['/', '/tickets/1', '/emails', '/metrics']) {
        const response = await fetch(`${open.url}${path}`, { headers: REMOTE });
        expect(response.status, path).toBe(403);
        const text = visibleText(await response.text());
        expect(text).toContain('answers only from the machine ticketbot runs on');
        expect(text).toContain('STATUS_PAGE_PASSWORD');
      }
    });

    it('does not trust X-Forwarded-For from a client that is not a local proxy', async () => {
      // The header is believed only from loopback; here it is, so a spoofed "127.0.0.1" from a
      // proxy still names the real client last and is refused.
      const response = await fetch(`${open.url}/`, {
        headers: { 'X-Forwarded-For': '127.0.0.1, 203.0.113.7' },
      });
      expect(response.status).toBe(403);
    });
  });

  describe('with STATUS_PAGE_USER and STATUS_PAGE_PASSWORD', () => {
    it('asks for Basic credentials, even from this machine', async () => {
      const response = await fetch(`${locked.url}/`);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(
        'Basic realm="ticketbot status", charset="UTF-8"',
      );
    });

    it('refuses a wrong password or user name', async () => {
      for (const authorization of [
        basic('manager', 'wrong'),
        basic('someone', 'correct horse battery'),
        basic('manager', ''),
        'Basic !!!',
        'Bearer x',
      ]) {
        const response = await fetch(`${locked.url}/`, { headers: { authorization } });
        expect(response.status, authorization).toBe(401);
      }
    });

    it('lets the right user and password in, from anywhere', async () => {
      const headers = { authorization: basic('manager', 'correct horse battery') };
      expect((await fetch(`${locked.url}/`, { headers })).status).toBe(200);
      expect((await fetch(`${locked.url}/emails`, { headers: { ...headers, ...REMOTE } })).status).toBe(200);
      expect((await fetch(`${locked.url}/metrics`, { headers: { ...headers, ...REMOTE } })).status).toBe(200);
    });
  });

  it('leaves /healthz, /readyz, the stylesheets and Slack’s endpoint open', async () => {
    for (const page of [open, locked]) {
      expect((await fetch(`${page.url}/healthz`, { headers: REMOTE })).status).toBe(200);
      expect((await fetch(`${page.url}/readyz`, { headers: REMOTE })).status).toBe(200);
      expect(
        (await fetch(`${page.url}/assets/bootstrap/bootstrap.min.css`, { headers: REMOTE })).status,
      ).toBe(200);
      const slack = await fetch(`${page.url}/slack/events`, { method: 'POST', headers: REMOTE, body: '{}' });
      expect(slack.status).toBe(200);
      expect(await slack.json()).toEqual({ reached: 'slack' });
    }
  });

  it('lets a browser without JavaScript choose its time zone, and only redirects within the site', async () => {
    const form = await fetch(`${open.url}/timezone?back=${encodeURIComponent('/?status=open')}`);
    const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0]!;
    const html = await form.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    expect(html).toContain('<option value="Europe/Paris">');
    const choose = (tz: string, back: string) =>
      fetch(`${open.url}/timezone`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: token, tz, back }).toString(),
      });
    const chosen = await choose('Europe/Paris', '/?status=open');
    expect(chosen.status).toBe(303);
    expect(chosen.headers.get('location')).toBe('/?status=open');
    expect(chosen.headers.get('set-cookie')).toMatch(/^tz=Europe%2FParis;/);
    const offsite = await choose('Not/AZone', '//evil.example/');
    expect(offsite.headers.get('location')).toBe('/');
    expect(offsite.headers.get('set-cookie') ?? '').not.toContain('tz=');
  });

  it('sends a strict Content-Security-Policy and the other security headers', async () => {
    const response = await fetch(`${open.url}/`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-powered-by')).toBeNull();
    const html = await response.text();
    expect(html).not.toMatch(/<script>|<style>|style="|onclick=/);
    expect(html).not.toMatch(/https?:\/\/cdn/);
  });
});
