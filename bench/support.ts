import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import mysql from 'mysql2/promise';
import { Pool } from 'undici';
import { encodeBody, type SlackBody, signedHeaders } from '../test/support/slackSigner.js';
import type { SlackQuestion } from './slackApiServer.js';

// What bench:storm and bench:soak share: child processes (ticketbot, the test Slack), a fresh
// database on the local MariaDB, signed requests timed from when they were due, percentiles.

export const SECRET = 'bench-signing-secret';
export const TEAM = 'T0TEAM0001';

export interface Child {
  child: ChildProcess;
  url: string;
  /** The rest of the child's stdout, line by line. */
  lines: Interface;
}

/** A child process that prints {"url": …} on its first line once it listens; `ipc` opens a channel. */
export async function startChild(
  script: string,
  args: string[],
  env: Record<string, string>,
  ipc = false,
  nodeOptions: string[] = [],
): Promise<Child> {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...nodeOptions, ...loader, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ipc ? ['ignore', 'pipe', 'inherit', 'ipc'] : ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${script} exited with ${code} before listening`);
    }),
  ])) as [string];
  return { child, url: (JSON.parse(line) as { url: string }).url, lines };
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** The test Slack in its own process, asked questions over IPC (bench/slackApiServer.ts). */
export class BenchSlack {
  private next = 0;
  private readonly pending = new Map<number, (answer: unknown) => void>();

  private constructor(readonly process: Child) {
    process.child.on('message', (message: { id: number; answer: unknown }) => {
      this.pending.get(message.id)?.(message.answer);
      this.pending.delete(message.id);
    });
  }

  static async start(env: Record<string, string> = {}): Promise<BenchSlack> {
    return new BenchSlack(await startChild('bench/slackApiServer.ts', [], env, true));
  }

  get url(): string {
    return this.process.url;
  }

  ask<T>(question: SlackQuestion): Promise<T> {
    const id = ++this.next;
    return new Promise<T>((resolve) => {
      this.pending.set(id, resolve as (answer: unknown) => void);
      this.process.child.send({ id, question });
    });
  }

  stop(): Promise<void> {
    return stopChild(this.process.child);
  }
}

/** A fresh database on the benchmark's MariaDB; `drop()` removes it. */
export async function freshDatabase(): Promise<{
  url: string;
  name: string;
  admin: mysql.Connection;
  drop(): Promise<void>;
}> {
  const serverUrl = new URL(
    process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/',
  );
  serverUrl.pathname = '/';
  const name = `ticketbot_bench_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: serverUrl.toString(), timezone: 'Z' });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    admin,
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}

/** Environment shared by every ticketbot the benchmarks start. */
export function ticketbotEnv(
  databaseUrl: string,
  slackUrl: string,
  channel: string,
  extra: Record<string, string>,
) {
  return {
    NODE_ENV: 'production',
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slackUrl,
    HELPDESK_CHANNEL_ID: channel,
    ...extra,
  };
}

export interface Timed {
  /** When it was due (ms, performance.now()), and how long until the answer (ms). */
  due: number;
  ms: number;
  status: number;
  body: string;
}

/** Sends one signed Slack request (form or interactive or json) and times it from `due`. */
export async function sendSigned(pool: Pool, body: SlackBody, due: number): Promise<Timed> {
  const { raw, contentType } = encodeBody(body);
  try {
    const response = await pool.request({
      method: 'POST',
      path: '/slack/events',
      headers: signedHeaders(SECRET, raw, contentType),
      body: raw,
      headersTimeout: 10_000,
    });
    const text = await response.body.text();
    return { due, ms: performance.now() - due, status: response.statusCode, body: text };
  } catch (error) {
    return { due, ms: performance.now() - due, status: 0, body: String(error) };
  }
}

export function percentile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** Resident memory of a process (VmRSS in /proc/PID/status), in MB. */
export function rssMb(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function newPool(url: string): Pool {
  return new Pool(url, { connections: 64, pipelining: 1 });
}

export const pad = (value: string | number, width: number) => String(value).padStart(width);

/** CPU time a process has used so far (user + system), in ms, from /proc/PID/stat. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}
