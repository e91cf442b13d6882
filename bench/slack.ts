import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { Pool } from 'undici';

type Result = Awaited<ReturnType<typeof autocannon>>;

import mysql from 'mysql2/promise';
import { encodeBody, signedHeaders } from '../test/support/slackSigner.js';

// npm run bench:slack — how fast ticketbot acknowledges Slack, next to a bare Bolt app that only
// acks, measured in the same run on the same machine. Not a test: it prints figures.
//
// The app runs on MariaDB/MySQL (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local
// server) in a child process; the load generator (autocannon) and the test Slack share this one.
// Each scenario: signed modal submissions or card clicks, at a fixed 100/s and at saturation,
// BENCH_SECONDS (10) each. Loopback only.

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARM_UP_SECONDS = 3;
const RATE = 100;
const SATURATION_CONNECTIONS = 50;
const LOADS = {
  steady: `${RATE}/s steady`,
  bursts: `${RATE}/s in bursts`,
  saturation: `saturation (${SATURATION_CONNECTIONS} conn.)`,
} as const;
const SECRET = 'bench-signing-secret';
const REQUESTER = 'U0BENCHREQ';
const TECHNICIAN = 'U0BENCHTEC';
const CHANNEL = 'C0BENCHDESK';

interface Target {
  url: string;
  /** CPU time the target process has used so far, in ms (Linux /proc). */
  cpuMs(): number;
  stop(): Promise<void>;
}

const CLOCK_TICKS_PER_SECOND = 100;

function processCpuMs(pid: number): number {
  try {
    // Fields after the command name: state is 3rd; utime and stime are the 14th and 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** A child process that prints {"url": …} on its first line once it listens. */
async function startChild(
  script: string,
  args: string[],
  env: Record<string, string>,
  nodeOptions: string[] = [],
): Promise<{ child: ChildProcess; url: string }> {
  const child: ChildProcess = spawn(process.execPath, [...nodeOptions, '--import', 'tsx', script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${script} exited with ${code} before listening`);
    }),
  ])) as [string];
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

async function startTarget(kind: 'ticketbot' | 'bare', env: Record<string, string>): Promise<Target> {
  // BENCH_PROFILE=dir writes a V8 CPU profile of the app under load there (open it in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
    : [];
  const { child, url } = await startChild('bench/slackTarget.ts', [kind], env, profile);
  return { url, cpuMs: () => processCpuMs(child.pid!), stop: () => stopChild(child) };
}

function submission(n: number) {
  return {
    type: 'view_submission',
    team: { id: 'T0TEAM0001', domain: 'bench' },
    user: { id: REQUESTER, team_id: 'T0TEAM0001' },
    api_app_id: 'A0TICKETBOT',
    token: 'bench',
    trigger_id: `bench.${n}`,
    view: {
      id: `V0BENCH${n}`,
      type: 'modal',
      callback_id: 'new_ticket',
      private_metadata: JSON.stringify({ channelId: CHANNEL }),
      state: {
        values: {
          title: { title: { type: 'plain_text_input', value: `Bench ticket ${n}` } },
          description: {
            description: { type: 'plain_text_input', value: 'Printer on floor 3 <jams> & squeaks' },
          },
          priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
        },
      },
    },
  };
}

function click(n: number, ticketCount: number) {
  const ticketId = (n % Math.max(ticketCount, 1)) + 1;
  return {
    type: 'block_actions',
    team: { id: 'T0TEAM0001', domain: 'bench' },
    user: { id: TECHNICIAN, team_id: 'T0TEAM0001' },
    api_app_id: 'A0TICKETBOT',
    token: 'bench',
    trigger_id: `bench.click.${n}`,
    container: { type: 'message', message_ts: `1700000000.${ticketId}`, channel_id: CHANNEL },
    channel: { id: CHANNEL, name: 'helpdesk' },
    message: { type: 'message', ts: `1700000000.${ticketId}`, blocks: [] },
    actions: [
      {
        type: 'button',
        action_id: 'ticket_start',
        block_id: `ticket_actions:${ticketId}:1`,
        value: String(ticketId),
        action_ts: '1',
      },
    ],
  };
}

/**
 * Open-loop load at a steady rate: one request every 1000/rate ms whatever the answers, as
 * independent people clicking would send them (autocannon's overallRate instead sends each
 * second's budget at once, 10 connections in a closed loop, which measures a burst). Latency is
 * counted from when each request was due, so a stalled server cannot hide its backlog.
 */
async function fireSteady(
  url: string,
  make: (n: number) => unknown,
  rate: number,
  seconds = SECONDS,
): Promise<Result> {
  const pool = new Pool(url, { connections: 64, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const interval = 1000 / rate;
  const total = Math.round(seconds * rate);
  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (let n = 1; n <= total; n++) {
    const due = started + (n - 1) * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const { raw, contentType } = encodeBody({ interactive: make(n) });
    inFlight.push(
      pool
        .request({
          method: 'POST',
          path: '/slack/events',
          headers: signedHeaders(SECRET, raw, contentType),
          body: raw,
          headersTimeout: 10_000,
        })
        .then(async (response) => {
          await response.body.dump();
          if (response.statusCode < 200 || response.statusCode > 299) non2xx += 1;
          latencies.push(performance.now() - due);
        })
        .catch(() => {
          errors += 1;
        }),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    latency: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: Math.round(latencies.at(-1) ?? 0) },
    requests: { average: latencies.length / elapsed, total: latencies.length },
    errors,
    timeouts: 0,
    non2xx,
  } as unknown as Result;
}

async function fire(url: string, make: (n: number) => unknown, rate: number | undefined): Promise<Result> {
  let n = 0;
  return autocannon({
    url: `${url}/slack/events`,
    connections: rate ? 10 : SATURATION_CONNECTIONS,
    duration: SECONDS,
    timeout: 10,
    ...(rate ? { overallRate: rate } : {}),
    requests: [
      {
        method: 'POST',
        path: '/slack/events',
        setupRequest: (request) => {
          n += 1;
          const { raw, contentType } = encodeBody({ interactive: make(n) });
          return {
            ...request,
            method: 'POST',
            path: '/slack/events',
            headers: signedHeaders(SECRET, raw, contentType),
            body: raw,
          };
        },
      },
    ],
  });
}

interface Row {
  app: string;
  scenario: string;
  load: string;
  result: Result;
  /** The target's CPU time per acknowledged request, background work included (ms). */
  cpuPerRequest: number;
  /** How long the target stayed busy after the load stopped (work done after the ack), ms. */
  catchUpMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the target is idle (under 2 % of a core over 500 ms); returns how long that took. */
async function settle(target: Target): Promise<number> {
  const started = Date.now();
  // A profiled target is never idle (the profiler samples): give it a moment and go on.
  if (process.env.BENCH_PROFILE) return sleep(2000).then(() => Date.now() - started);
  let before = target.cpuMs();
  for (;;) {
    await sleep(500);
    const now = target.cpuMs();
    if (now - before < 10 || Date.now() - started > 120_000) return Date.now() - started - 500;
    before = now;
  }
}

async function main() {
  const startLoad = loadavg()[0]!.toFixed(1);
  const serverUrl = new URL(
    process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/',
  );
  serverUrl.pathname = '/';
  const database = `ticketbot_bench_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: serverUrl.toString() });
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const databaseUrl = new URL(serverUrl);
  databaseUrl.pathname = `/${database}`;

  // The test Slack runs in a process of its own, so serving ticketbot's calls never delays
  // the load generator's clock (which would count as ticketbot's latency).
  const slack = await startChild('bench/slackApiServer.ts', [], {});
  const env = {
    NODE_ENV: 'production',
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl.toString(),
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.url,
    HELPDESK_CHANNEL_ID: CHANNEL,
    TECHNICIAN_USER_IDS: TECHNICIAN,
    EMAIL_QUEUE_CRON: '0 0 1 1 *',
  };
  const rows: Row[] = [];
  let ticketCount = 0;
  try {
    // BENCH_ONLY=ticketbot (or bare) measures one side only, e.g. while profiling.
    const kinds = (['bare', 'ticketbot'] as const).filter(
      (kind) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY === kind,
    );
    for (const kind of kinds) {
      const target = await startTarget(kind, env);
      try {
        process.stderr.write(`[bench] ${kind} at ${target.url}\n`);
        // BENCH_SCENARIOS=submission (or click) runs one scenario only.
        const scenarios = (
          [
            ['submission', submission],
            ['click', (n: number) => click(n, ticketCount)],
          ] as const
        ).filter(
          ([name]) => !process.env.BENCH_SCENARIOS || process.env.BENCH_SCENARIOS.split(',').includes(name),
        );
        for (const [scenario, make] of scenarios) {
          // Warm-up, not measured: the JIT, the connection pools and the caches settle first.
          await fireSteady(target.url, make, RATE, WARM_UP_SECONDS);
          await settle(target);
          // BENCH_LOADS=saturation (or steady, bursts) runs those loads only.
          const modes = (['steady', 'bursts', 'saturation'] as const).filter(
            (mode) => !process.env.BENCH_LOADS || process.env.BENCH_LOADS.split(',').includes(mode),
          );
          for (const mode of modes) {
            const load = LOADS[mode];
            process.stderr.write(`[bench] ${kind} ${scenario} ${load}…\n`);
            const cpuBefore = target.cpuMs();
            const result =
              mode === 'steady'
                ? await fireSteady(target.url, make, RATE)
                : await fire(target.url, make, mode === 'bursts' ? RATE : undefined);
            const catchUpMs = await settle(target);
            const cpuPerRequest = (target.cpuMs() - cpuBefore) / Math.max(result.requests.total, 1);
            rows.push({ app: kind, scenario, load, result, cpuPerRequest, catchUpMs });
            await sleep(1000);
          }
          if (kind === 'ticketbot' && scenario === 'submission') {
            const [counted] = await admin.query(`SELECT COUNT(*) AS n FROM \`${database}\`.tickets`);
            ticketCount = Number((counted as Array<{ n: number }>)[0]?.n ?? 0);
          }
        }
      } finally {
        await target.stop();
      }
    }
  } finally {
    await stopChild(slack.child);
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
  }

  const pad = (value: string | number, width: number) => String(value).padStart(width);
  const header = `${'app'.padEnd(10)}${'scenario'.padEnd(12)}${'load'.padEnd(26)}${pad('req/s', 9)}${pad('p50 ms', 9)}${pad('p90 ms', 9)}${pad('p99 ms', 9)}${pad('max ms', 9)}${pad('non-2xx', 9)}${pad('errors', 8)}${pad('CPU ms/req', 12)}${pad('catch-up s', 12)}`;
  process.stdout.write(
    `\nSlack ack latency and throughput (${SECONDS} s per line, ${ticketCount} tickets created by ticketbot; ` +
      `${cpus().length} CPUs, load average at start ${startLoad}, at end ${loadavg()[0]!.toFixed(1)})\n\n${header}\n`,
  );
  for (const { app, scenario, load, result, cpuPerRequest, catchUpMs } of rows) {
    process.stdout.write(
      `${app.padEnd(10)}${scenario.padEnd(12)}${load.padEnd(26)}${pad(result.requests.average.toFixed(0), 9)}${pad(result.latency.p50, 9)}${pad(result.latency.p90, 9)}${pad(result.latency.p99, 9)}${pad(result.latency.max, 9)}${pad(result.non2xx, 9)}${pad(result.errors + result.timeouts, 8)}${pad(cpuPerRequest.toFixed(2), 12)}${pad((catchUpMs / 1000).toFixed(1), 12)}\n`,
    );
  }
  process.stdout.write('\nticketbot / bare Bolt\n');
  for (const scenario of ['submission', 'click']) {
    for (const load of Object.values(LOADS)) {
      const mine = rows.find(
        (r) => r.app === 'ticketbot' && r.scenario === scenario && r.load === load,
      )?.result;
      const bare = rows.find((r) => r.app === 'bare' && r.scenario === scenario && r.load === load)?.result;
      if (!mine || !bare) continue;
      const throughput = mine.requests.average / bare.requests.average;
      process.stdout.write(
        `  ${scenario.padEnd(11)} ${load.padEnd(26)} throughput ${(throughput * 100).toFixed(0)}%   p99 ${mine.latency.p99} ms vs ${bare.latency.p99} ms\n`,
      );
    }
  }
  const ticketbot = (load: string) =>
    rows.find((r) => r.app === 'ticketbot' && r.scenario === 'submission' && r.load === load)?.result;
  const steady = ticketbot(LOADS.steady);
  if (steady) {
    process.stdout.write(
      `\naim: p99 < 100 ms at a steady ${RATE} submissions/s → ${steady.latency.p99} ms ${steady.latency.p99 < 100 ? '(met)' : '(NOT met)'}\n`,
    );
  }
  const saturated = ticketbot(LOADS.saturation);
  const bareSaturated = rows.find(
    (r) => r.app === 'bare' && r.scenario === 'submission' && r.load === LOADS.saturation,
  )?.result;
  if (saturated && bareSaturated) {
    const ratio = saturated.requests.average / bareSaturated.requests.average;
    process.stdout.write(
      `aim: submissions at saturation ≥ 50 % of bare Bolt → ${(ratio * 100).toFixed(0)} % ${ratio >= 0.5 ? '(met)' : '(NOT met)'}\n`,
    );
  }
}

await main();
