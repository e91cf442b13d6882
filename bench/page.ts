import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import express from 'express';
import mysql from 'mysql2/promise';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/index.js';
import { migrateUp } from '../src/db/migrate.js';
import { createLogger } from '../src/logger.js';
import { createWebApp, errorHandler } from '../src/web/app.js';
import { requesterId, seedBenchData, technicianId } from './pageSeed.js';

// npm run bench:page — the status page at 100k tickets / 500k comments on MariaDB.
// Seeds a fresh database, serves the page on loopback, and for each variant prints the server
// time (p50/p95 over many requests) next to the time of the page's own SQL run alone, then the
// EXPLAIN plan of every statement. Not a test: it prints figures, it asserts nothing.
// BENCH_DATABASE_URL (default mysql://root@127.0.0.1:3306/) must be a loopback server.

const TICKETS = Number(process.env.BENCH_TICKETS ?? 100_000);
const COMMENTS = Number(process.env.BENCH_COMMENTS ?? 500_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const WARMUP = 20;
const TIME_LIMIT_MS = 15 * 60_000;

const out = (line = '') => process.stdout.write(`${line}\n`);
const serverUrl = new URL(process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/');
if (!['127.0.0.1', 'localhost', '[::1]'].includes(serverUrl.hostname)) {
  out(`bench:page runs against a loopback MariaDB only, not ${serverUrl.hostname}`);
  process.exit(2);
}
setTimeout(() => {
  out(`bench:page exceeded ${TIME_LIMIT_MS / 60_000} minutes; stopping`);
  process.exit(3);
}, TIME_LIMIT_MS).unref();

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
const ms = (value: number) => value.toFixed(2).padStart(7);

const name = `ticketbot_bench_${Date.now()}`;
serverUrl.pathname = '/';
const admin = await mysql.createConnection({ uri: serverUrl.toString() });
await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
const databaseUrl = new URL(serverUrl);
databaseUrl.pathname = `/${name}`;
const raw = await mysql.createConnection({ uri: databaseUrl.toString(), timezone: 'Z' });
const db = createDatabase(databaseUrl.toString());
let server: Server | undefined;

try {
  await migrateUp(db);
  out(`database ${name}: seeding ${TICKETS.toLocaleString('en')} tickets and ${COMMENTS.toLocaleString('en')} comments…`);
  const seedStart = performance.now();
  const seeded = await seedBenchData(raw, { tickets: TICKETS, comments: COMMENTS, requesters: 5000, technicians: 25 });
  out(
    `seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s ` +
      `(${seeded.events.toLocaleString('en')} events, ${seeded.ratings.toLocaleString('en')} ratings, ${seeded.emails.toLocaleString('en')} emails)`,
  );

  // The page, wrapped in an outer app that times each request from arrival to the last byte.
  const config = loadConfig({ NODE_ENV: 'production', DATABASE_URL: databaseUrl.toString(), LOG_LEVEL: 'silent', PORT: '0' });
  const logger = createLogger('silent');
  const serverTimes: number[] = [];
  const outer = express();
  outer.use((_req, res, next) => {
    const start = performance.now();
    res.on('finish', () => serverTimes.push(performance.now() - start));
    next();
  });
  outer.use(createWebApp({ config, db, logger }));
  outer.use(errorHandler(logger));
  server = outer.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const [[deep]] = (await raw.query(
    'SELECT last_activity_at AS at, id FROM tickets ORDER BY last_activity_at DESC, id DESC LIMIT 1 OFFSET ?',
    [Math.floor(TICKETS * 0.8)],
  )) as unknown as [[{ at: Date; id: number }]];
  const [[busy]] = (await raw.query(
    "SELECT technician_id AS id FROM tickets WHERE status = 'open' AND technician_id IS NOT NULL GROUP BY technician_id ORDER BY COUNT(*) DESC LIMIT 1",
  )) as unknown as [[{ id: string }]];
  const [[commented]] = (await raw.query(
    'SELECT ticket_id AS id FROM comments WHERE ticket_id > ? GROUP BY ticket_id ORDER BY COUNT(*) DESC LIMIT 1',
    [TICKETS - 2000],
  )) as unknown as [[{ id: number }]];

  const variants: Array<[label: string, path: string]> = [
    ['list: first page', '/'],
    ['list: status + technician', `/?status=open&technician=${busy?.id ?? technicianId(1)}`],
    ['list: requester', `/?requester=${requesterId(77)}`],
    ['list: priority, oldest first', '/?priority=urgent&sort=created_asc'],
    ['list: deep page (80%)', `/?after=${deep.at.getTime()}.${deep.id}`],
    ['list: search "printer"', '/?q=printer'],
    ['list: search "lyon printer"', '/?q=lyon+printer'],
    ['ticket detail', `/tickets/${commented?.id ?? 1}`],
    ['email queue', '/emails'],
  ];

  const results: Array<{ label: string; p50: number; p95: number; sql50: number; sql95: number; statements: string[] }> = [];
  for (const [label, path] of variants) {
    // The statements this page runs, captured from Sequelize on one request.
    const statements: string[] = [];
    const options = (db.sequelize as unknown as { options: { logging: false | ((sql: string) => void) } }).options;
    options.logging = (sql) => statements.push(sql.replace(/^Executing \([^)]*\): /, ''));
    const check = await fetch(`${base}${path}`);
    await check.text();
    options.logging = false;
    if (check.status !== 200) throw new Error(`${path} answered ${check.status}`);

    for (let i = 0; i < WARMUP; i++) await (await fetch(`${base}${path}`)).text();
    serverTimes.length = 0;
    for (let i = 0; i < RUNS; i++) await (await fetch(`${base}${path}`)).text();
    const page = [...serverTimes].sort((a, b) => a - b);

    // The same statements alone, one after the other on one connection (the page runs some in parallel).
    const sqlTimes: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const start = performance.now();
      for (const sql of statements) await raw.query(sql);
      if (i >= WARMUP) sqlTimes.push(performance.now() - start);
    }
    sqlTimes.sort((a, b) => a - b);
    results.push({
      label,
      p50: percentile(page, 50),
      p95: percentile(page, 95),
      sql50: percentile(sqlTimes, 50),
      sql95: percentile(sqlTimes, 95),
      statements,
    });
  }

  out();
  out(`server time over ${RUNS} requests per variant (ms), next to the page's own SQL run alone`);
  out(`${'variant'.padEnd(30)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'sql p50'.padStart(7)} ${'sql p95'.padStart(7)}  p50 ratio  queries`);
  for (const r of results) {
    out(
      `${r.label.padEnd(30)} ${ms(r.p50)} ${ms(r.p95)} ${ms(r.sql50)} ${ms(r.sql95)}  ${(r.p50 / r.sql50).toFixed(1).padStart(8)}x  ${r.statements.length}`,
    );
  }

  out();
  out('EXPLAIN of every statement (table: access type, key, rows examined estimate, extra)');
  const seen = new Set<string>();
  const scans: string[] = [];
  for (const r of results) {
    out(`\n# ${r.label}`);
    for (const sql of r.statements) {
      const shape = sql.replace(/'[^']*'|\b\d+\b/g, '?');
      if (seen.has(shape)) {
        out(`  (same plan as above) ${sql.slice(0, 90).replace(/\s+/g, ' ')}…`);
        continue;
      }
      seen.add(shape);
      out(`  ${sql.replace(/\s+/g, ' ').slice(0, 220)}`);
      const [plan] = (await raw.query(`EXPLAIN ${sql}`)) as unknown as [Array<Record<string, unknown>>];
      for (const row of plan) {
        const rows = Number(row.rows ?? 0);
        const full = row.type === 'ALL' || (row.type === 'index' && rows > 10_000);
        if (full) scans.push(`${r.label}: ${row.table} (${row.type}, ${rows} rows)`);
        out(
          `    ${String(row.table).padEnd(14)} ${String(row.type).padEnd(9)} ${String(row.key ?? '-').padEnd(30)} rows=${String(rows).padEnd(7)} ${row.Extra ?? ''}${full ? '   <-- FULL SCAN' : ''}`,
        );
      }
    }
  }
  out();
  out(scans.length ? `full scans: ${scans.join('; ')}` : 'no statement scans a whole table or index');
  const slow = results.filter((r) => r.label.startsWith('list') && r.p95 >= 50);
  out(slow.length ? `list variants with p95 >= 50 ms: ${slow.map((r) => r.label).join(', ')}` : 'every list variant: p95 under 50 ms');
} finally {
  server?.closeAllConnections();
  server?.close();
  await db.close();
  await raw.end();
  if (!process.argv.includes('--keep')) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  else out(`kept database ${name}`);
  await admin.end();
}
