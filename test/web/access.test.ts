import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURES_ALLOWED } from '../../src/web/rateLimits.js';
import { createTestDatabase } from '../support/db.js';
import { basic, type RunningPage, startStatusPage, visibleText } from './support.js';

// Who gets in. Requests come from 127.0.0.1; a visitor from elsewhere is what a reverse proxy on
// this host passes on (X-Forwarded-For and the like). test/web/proxies.test.ts does the same
// through real proxies and from another network namespace.

const REMOTE = { 'X-Forwarded-For': '203.0.113.7' };
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

/** One raw HTTP request, as a proxy or an old client would write it; the status code comes back. */
async function rawRequest(url: string, lines: string[]): Promise<number> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  await once(socket, 'connect');
  let answer = '';
  socket.on('data', (chunk: Buffer) => {
    answer += chunk.toString();
  });
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  await once(socket, 'end');
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1]);
}

describe('status page access', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let open: RunningPage;
  let locked: RunningPage;
  let slow: RunningPage;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const slackEndpoint = (app: RunningPage['app']) => {
      // Stands in for Bolt's receiver, mounted after the status page like server.ts does.
      app.post('/slack/events', (_req, res) => {
        res.json({ reached: 'slack' });
      });
    };
    open = await startStatusPage(database.db, database.url, { METRICS_TOKEN }, slackEndpoint);
    const password = { STATUS_PAGE_USER: 'manager', STATUS_PAGE_PASSWORD: 'correct horse battery' };
    locked = await startStatusPage(database.db, database.url, password, slackEndpoint);
    slow = await startStatusPage(database.db, database.url, password);
  });
  afterAll(async () => {
    await open?.close();
    await locked?.close();
    await slow?.close();
    await database?.drop();
  });

  describe('without a sign-in', () => {
    it('answers a browser on this machine', async () => {
      const response = await fetch(`${open.url}/`);
      expect(response.status).toBe(200);
      expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
      expect((await fetch(`${open.url}/`.replace('127.0.0.1', 'localhost'))).status).toBe(200);
    });

    it('refuses what came through a proxy with a 403 that says why', async () => {
      for (const path of ['/', '/tickets/1', '/emails']) {
        const response = await fetch(`${open.url}${path}`, { headers: REMOTE });
        expect(response.status, path).toBe(403);
        const text = visibleText(await response.text());
        expect(text).toContain('answers only a browser on the machine ticketbot runs on');
        expect(text).toContain('SLACK_CLIENT_ID');
        expect(text).toContain('STATUS_PAGE_PASSWORD');
      }
      expect((await fetch(`${open.url}/metrics`, { headers: REMOTE })).status).toBe(403);
    });

    it('does not take a client’s own X-Forwarded-For: 127.0.0.1 for a local visitor', async () => {
      // A proxy that passes the header on untouched: the page must not believe it.
      for (const forwarded of ['127.0.0.1', '127.0.0.1, 203.0.113.7']) {
        const response = await fetch(`${open.url}/`, { headers: { 'X-Forwarded-For': forwarded } });
        expect(response.status, forwarded).toBe(403);
      }
      for (const header of <Array<Record<string, string>>>[
        { Forwarded: 'for=127.0.0.1' },
        { 'X-Real-IP': '127.0.0.1' },
        { Via: '1.1 sidecar' },
        { 'X-Forwarded-Proto': 'http' },
        { 'X-Envoy-External-Address': '127.0.0.1' },
      ]) {
        expect((await fetch(`${open.url}/`, { headers: header })).status, JSON.stringify(header)).toBe(403);
        expect((await fetch(`${open.url}/metrics`, { headers: header })).status).toBe(403);
      }
    });

    it('refuses a Host that is not this machine (a proxy passing the public name on, DNS rebinding)', async () => {
      const status = await rawRequest(open.url, [
        'GET / HTTP/1.1',
        'Host: helpdesk.example.com',
        'Connection: close',
      ]);
      expect(status).toBe(403);
    });

    it('refuses HTTP/1.0, which is what nginx’s default proxy_pass speaks (with no header added)', async () => {
      const port = new URL(open.url).port;
      expect(await rawRequest(open.url, ['GET / HTTP/1.0', `Host: 127.0.0.1:${port}`])).toBe(403);
      expect(await rawRequest(open.url, ['GET /metrics HTTP/1.0', `Host: 127.0.0.1:${port}`])).toBe(403);
      expect(
        await rawRequest(open.url, ['GET / HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Connection: close']),
      ).toBe(200);
    });

    it('lets /metrics in from anywhere with the bearer token, and refuses a wrong one', async () => {
      const right = { ...REMOTE, authorization: `Bearer ${METRICS_TOKEN}` };
      expect((await fetch(`${open.url}/metrics`, { headers: right })).status).toBe(200);
      const wrong = { ...REMOTE, authorization: 'Bearer not-the-token' };
      expect((await fetch(`${open.url}/metrics`, { headers: wrong })).status).toBe(401);
      // The token opens /metrics only, not the page.
      expect((await fetch(`${open.url}/`, { headers: right })).status).toBe(403);
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

    it('slows down guessing: after too many wrong passwords a client gets 429, even with the right one', async () => {
      const right = { authorization: basic('manager', 'correct horse battery') };
      expect((await fetch(`${slow.url}/`, { headers: right })).status).toBe(200);
      // Asking without credentials (a browser before its password dialog) is not a failure.
      for (let i = 0; i < FAILURES_ALLOWED + 2; i += 1)
        expect((await fetch(`${slow.url}/`)).status).toBe(401);
      for (let i = 0; i < FAILURES_ALLOWED; i += 1) {
        const response = await fetch(`${slow.url}/`, {
          headers: { authorization: basic('manager', `guess ${i}`) },
        });
        expect(response.status).toBe(401);
      }
      const limited = await fetch(`${slow.url}/`, { headers: right });
      expect(limited.status).toBe(429);
      expect(visibleText(await limited.text())).toContain('Too many failed sign-ins');
      expect((await fetch(`${slow.url}/metrics`, { headers: right })).status).toBe(429);
    });
  });

  it('leaves /healthz, /readyz, the stylesheets and Slack’s endpoint open', async () => {
    for (const page of [open, locked]) {
      expect((await fetch(`${page.url}/healthz`, { headers: REMOTE })).status).toBe(200);
      const ready = await fetch(`${page.url}/readyz`, { headers: REMOTE });
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });
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
