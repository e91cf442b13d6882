import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/db.js';
import { basic, freePort, type RunningPage, startStatusPage } from './support.js';

// The three set-ups that made every visitor look local to the old rule, through real proxies
// (Debian's nginx and haproxy), with the visitor in a network namespace of its own: a machine
// that is not this one, reaching this host over a veth pair, as a visitor from the network would.
// - nginx's default proxy_pass: HTTP/1.0 to ticketbot, no X-Forwarded-For.
// - a proxy that passes the client's own X-Forwarded-For (`127.0.0.1`) on untouched.
// - a service-mesh sidecar: haproxy in HTTP mode on this host, the public Host passed on.
// Namespaces and veth pairs need root; without it (or without `ip`) the suite is skipped and
// says why. CI runs as root and installs nginx, haproxy, iproute2 and curl (.ci/run).

const IP = ['/usr/sbin/ip', '/sbin/ip', '/bin/ip'].find((path) => existsSync(path));
const NGINX = '/usr/sbin/nginx';
const HAPROXY = '/usr/sbin/haproxy';
const CURL = '/usr/bin/curl';
const isRoot = process.getuid?.() === 0;
const skipReason = !isRoot
  ? 'network namespaces need root'
  : !IP
    ? 'iproute2 (ip) is not installed'
    : !process.env.CI && !(existsSync(NGINX) && existsSync(HAPROXY) && existsSync(CURL))
      ? 'nginx, haproxy or curl is not installed (.ci/run installs them)'
      : '';

const PASSWORD = { STATUS_PAGE_USER: 'manager', STATUS_PAGE_PASSWORD: 'correct horse battery' };
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

describe.skipIf(Boolean(skipReason))(
  `through real proxies, from another network namespace${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    const tag = `${process.pid % 100000}${randomInt(10, 99)}`;
    const namespace = `tbv${tag}`;
    const hostSide = `tbh${tag}`;
    const visitorSide = `tbn${tag}`;
    // 198.18.0.0/15 is set aside for tests of network devices; a /30 of it, chosen at random so
    // that two runs on one machine do not meet.
    const subnet = `198.${randomInt(18, 20)}.${randomInt(0, 256)}.${randomInt(0, 64) * 4}`;
    const base = subnet.split('.').slice(0, 3).join('.');
    const last = Number(subnet.split('.')[3]);
    const hostAddress = `${base}.${last + 1}`;
    const visitorAddress = `${base}.${last + 2}`;

    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let open: RunningPage;
    let locked: RunningPage;
    let exposed: RunningPage;
    let dir = '';
    const proxies: ChildProcess[] = [];
    const ports = { nginxDefault: 0, nginxPassOn: 0, sidecar: 0, lockedNginx: 0, lockedPassOn: 0 };

    const ip = (...args: string[]) => execFileSync(IP ?? 'ip', args, { stdio: 'pipe' });

    /**
     * A request from the visitor's namespace: the status code, or 0 when nothing answered. curl
     * runs asynchronously: ticketbot answers from this very process, which must keep running.
     */
    async function visit(url: string, headers: Record<string, string> = {}): Promise<number> {
      const args = ['netns', 'exec', namespace, CURL, '-s', '-o', '/dev/null', '-w', '%{http_code}'];
      args.push('--max-time', '5');
      for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
      const child = spawn(IP ?? 'ip', [...args, url], { stdio: ['ignore', 'pipe', 'ignore'] });
      let output = '';
      child.stdout.on('data', (chunk) => {
        output += chunk;
      });
      await once(child, 'close');
      return Number(output.trim() || '0');
    }

    async function untilAnswering(url: string): Promise<void> {
      for (let i = 0; i < 100; i += 1) {
        if ((await visit(url)) !== 0) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`nothing answers ${url} from the namespace`);
    }

    function startProxy(command: string, args: string[]): void {
      const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let errors = '';
      child.stderr?.on('data', (chunk) => {
        errors += chunk;
      });
      child.on('exit', (code) => {
        if (code && code !== 0 && !child.killed)
          process.stderr.write(`${command} exited ${code}: ${errors}\n`);
      });
      proxies.push(child);
    }

    beforeAll(async () => {
      database = await createTestDatabase('sqlite');
      // Default set-up: no sign-in, so on loopback only.
      open = await startStatusPage(database.db, database.url, { METRICS_TOKEN });
      // A shared password behind a proxy this host declares.
      locked = await startStatusPage(database.db, database.url, {
        ...PASSWORD,
        TRUST_PROXY: '127.0.0.1',
        METRICS_TOKEN,
      });

      ip('netns', 'add', namespace);
      ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', visitorSide);
      ip('link', 'set', visitorSide, 'netns', namespace);
      ip('addr', 'add', `${hostAddress}/30`, 'dev', hostSide);
      ip('link', 'set', hostSide, 'up');
      ip('netns', 'exec', namespace, IP ?? 'ip', 'addr', 'add', `${visitorAddress}/30`, 'dev', visitorSide);
      ip('netns', 'exec', namespace, IP ?? 'ip', 'link', 'set', visitorSide, 'up');
      ip('netns', 'exec', namespace, IP ?? 'ip', 'link', 'set', 'lo', 'up');

      // Listening beyond loopback takes a sign-in: here the password, on the veth address.
      exposed = await startStatusPage(database.db, database.url, PASSWORD, undefined, { host: hostAddress });

      for (const key of Object.keys(ports) as Array<keyof typeof ports>) ports[key] = await freePort();
      dir = mkdtempSync(join(tmpdir(), 'ticketbot-proxies-'));
      const upstream = (page: RunningPage) => page.url.replace('http://', '');
      writeFileSync(
        join(dir, 'nginx.conf'),
        `daemon off;
master_process off;
worker_processes 1;
error_log stderr error;
pid ${dir}/nginx.pid;
events {}
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # Set-up 1: proxy_pass as it comes, nothing added.
  server { listen ${hostAddress}:${ports.nginxDefault}; location / { proxy_pass http://${upstream(open)}; } }
  server { listen ${hostAddress}:${ports.lockedNginx}; location / { proxy_pass http://${upstream(locked)}; } }
  # Set-up 2: the client's own X-Forwarded-For passed on untouched.
  server {
    listen ${hostAddress}:${ports.nginxPassOn};
    location / { proxy_pass http://${upstream(open)}; proxy_set_header X-Forwarded-For $http_x_forwarded_for; }
  }
  server {
    listen ${hostAddress}:${ports.lockedPassOn};
    location / { proxy_pass http://${upstream(locked)}; proxy_set_header X-Forwarded-For $http_x_forwarded_for; }
  }
}
`,
      );
      // Set-up 3: a sidecar in HTTP mode, on this host, passing the request on as it came.
      writeFileSync(
        join(dir, 'haproxy.cfg'),
        `defaults
  mode http
  timeout connect 5s
  timeout client 10s
  timeout server 10s
frontend sidecar
  bind ${hostAddress}:${ports.sidecar}
  default_backend app
backend app
  server app ${upstream(open)}
`,
      );
      startProxy(NGINX, ['-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf')]);
      startProxy(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')]);
      for (const port of [ports.nginxDefault, ports.nginxPassOn, ports.sidecar, ports.lockedNginx]) {
        await untilAnswering(`http://${hostAddress}:${port}/healthz`);
      }
    }, 60_000);

    afterAll(async () => {
      for (const child of proxies) child.kill('SIGTERM');
      await Promise.all(
        proxies.map((child) =>
          child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined,
        ),
      );
      try {
        ip('netns', 'del', namespace);
      } catch {
        // Already gone; the veth pair went with it.
      }
      spawnSync(IP ?? 'ip', ['link', 'del', hostSide], { stdio: 'ignore' });
      await open?.close();
      await locked?.close();
      await exposed?.close();
      await database?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const via = (port: number, path = '/') => `http://${hostAddress}:${port}${path}`;

    it('cannot reach ticketbot itself from the namespace: it listens on 127.0.0.1', async () => {
      const port = new URL(open.url).port;
      expect(await visit(`http://${hostAddress}:${port}/healthz`)).toBe(0);
      // The proxies can: the health check answers anyone.
      expect(await visit(via(ports.nginxDefault, '/healthz'))).toBe(200);
    });

    it('set-up 1, nginx’s default proxy_pass: the visitor is refused, the page and /metrics', async () => {
      expect(await visit(via(ports.nginxDefault))).toBe(403);
      expect(await visit(via(ports.nginxDefault, '/tickets/1'))).toBe(403);
      expect(await visit(via(ports.nginxDefault, '/metrics'))).toBe(403);
      expect(
        await visit(via(ports.nginxDefault, '/metrics'), { authorization: `Bearer ${METRICS_TOKEN}` }),
      ).toBe(200);
    });

    it('set-up 2, a proxy passing on the visitor’s own X-Forwarded-For: 127.0.0.1: refused', async () => {
      const spoof = { 'X-Forwarded-For': '127.0.0.1' };
      expect(await visit(via(ports.nginxPassOn), spoof)).toBe(403);
      expect(await visit(via(ports.nginxPassOn, '/metrics'), spoof)).toBe(403);
      expect(await visit(via(ports.nginxPassOn, '/emails'), spoof)).toBe(403);
    });

    it('set-up 3, a sidecar passing the request on from this host: refused', async () => {
      expect(await visit(via(ports.sidecar))).toBe(403);
      expect(await visit(via(ports.sidecar, '/metrics'))).toBe(403);
      // A visitor who also claims `Host: 127.0.0.1` through a proxy that adds nothing cannot be
      // told from a local browser: that is why start-up refuses a PUBLIC_URL elsewhere without
      // a sign-in (test/startup.test.ts), which such a set-up always has.
    });

    it('with a password and TRUST_PROXY: the visitor must sign in, and a spoofed 127.0.0.1 opens nothing', async () => {
      const spoof = { 'X-Forwarded-For': '127.0.0.1' };
      const right = { authorization: basic('manager', 'correct horse battery') };
      for (const port of [ports.lockedNginx, ports.lockedPassOn]) {
        expect(await visit(via(port), spoof)).toBe(401);
        expect(await visit(via(port), { ...spoof, ...right })).toBe(200);
        // /metrics: what came through the declared proxy is not "this machine", whatever it says.
        expect(await visit(via(port, '/metrics'), spoof)).toBe(403);
        expect(await visit(via(port, '/metrics'), { authorization: `Bearer ${METRICS_TOKEN}` })).toBe(200);
      }
    });

    it('listening on the network (HOST) with a password: the visitor from the namespace must sign in', async () => {
      const url = exposed.url;
      expect(await visit(`${url}/`)).toBe(401);
      expect(await visit(`${url}/`, { 'X-Forwarded-For': '127.0.0.1' })).toBe(401);
      expect(await visit(`${url}/metrics`, { 'X-Forwarded-For': '127.0.0.1' })).toBe(403);
      expect(await visit(`${url}/`, { authorization: basic('manager', 'correct horse battery') })).toBe(200);
    });
  },
);
