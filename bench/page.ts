import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import express from 'express';
import mysql from 'mysql2/promise';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db/index.js';
import { migrateUp } from '../src/db/migrate.js';
import { loadTexts } from '../src/i18n/index.js';
import { createLogger } from '../src/logger.js';
import { createWebApp, errorHandler } from '../src/web/app.js';
import { loadSummary } from '../src/web/status/summary.js';
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
/** The kept-warm reports: their lifetime, and views this many apart (past twice the lifetime). */
const WARM_TTL_MS = 5000;
const WARM_GAP_MS = 11_000;
const WARM_VIEWS = Number(process.env.BENCH_WARM_VIEWS ?? 12);
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
const ms = (value: number) => (Number.isNaN(value) ? '—' : value.toFixed(2)).padStart(7);

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
  out(
    `database ${name}: seeding ${TICKETS.toLocaleString('en')} tickets and ${COMMENTS.toLocaleString('en')} comments…`,
  );
  const seedStart = performance.now();
  const seeded = await seedBenchData(raw, {
    tickets: TICKETS,
    comments: COMMENTS,
    requesters: 5000,
    technicians: 25,
  });
  out(
    `seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s ` +
      `(${seeded.events.toLocaleString('en')} events, ${seeded.ratings.toLocaleString('en')} ratings, ${seeded.emails.toLocaleString('en')} emails)`,
  );

  // The page, wrapped in an outer app that times each request from arrival to the last byte.
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl.toString(),
    LOG_LEVEL: 'silent',
    PORT: '0',
  });
  const logger = createLogger('silent');
  const serverTimes: number[] = [];
  const outer = express();
  outer.use((_req, res, next) => {
    const start = performance.now();
    res.on('finish', () => serverTimes.push(performance.now() - start));
    next();
  });
  // The reports are measured cold: figures computed on every view, not reused for a minute.
  outer.use(createWebApp({ config, db, logger, texts: loadTexts(), reportsTtlMs: 0 }));
  // …and as ticketbot serves them: the minute's figures and charts, worked out again behind the view.
  const served = createWebApp({ config, db, logger, texts: loadTexts() });
  outer.use('/served', served);
  // …and kept warm between views further apart than twice the lifetime (where a view would
  // otherwise wait): a lifetime of WARM_TTL_MS instead of a minute, so the bench need not wait hours.
  const warm = createWebApp({ config, db, logger, texts: loadTexts(), reportsTtlMs: WARM_TTL_MS });
  outer.use('/warm', warm);
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
    ['reports: 30 days (uncached)', '/reports?days=30'],
    ['reports: 90 days (uncached)', '/reports?days=90'],
    ['reports: 30 days (as served)', '/served/reports?days=30'],
    ['reports: 90 days (as served)', '/served/reports?days=90'],
  ];

  const capture = async (work: () => Promise<unknown>) => {
    const statements: string[] = [];
    const options = (db.sequelize as unknown as { options: { logging: false | ((sql: string) => void) } })
      .options;
    options.logging = (sql) => statements.push(sql.replace(/^Executing \([^)]*\): /, ''));
    try {
      await work();
    } finally {
      options.logging = false;
    }
    return statements;
  };
  const replay = async (statements: string[]) => {
    const times: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const start = performance.now();
      for (const sql of statements) await raw.query(sql);
      if (i >= WARMUP) times.push(performance.now() - start);
    }
    return times.sort((a, b) => a - b);
  };

  const results: Array<{
    label: string;
    p50: number;
    p95: number;
    sql50: number;
    sql95: number;
    statements: string[];
  }> = [];

  // The counts above the list: shared by every viewer, counted at most every 5 seconds.
  {
    const statements = await capture(() => loadSummary(db));
    const own: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const start = performance.now();
      await loadSummary(db);
      if (i >= WARMUP) own.push(performance.now() - start);
    }
    own.sort((a, b) => a - b);
    const sqlTimes = await replay(statements);
    results.push({
      label: 'summary (cached 5 s)',
      p50: percentile(own, 50),
      p95: percentile(own, 95),
      sql50: percentile(sqlTimes, 50),
      sql95: percentile(sqlTimes, 95),
      statements,
    });
  }

  for (const [label, path] of variants) {
    // The statements this page runs, captured from Sequelize on one request (made right after
    // another, so the list's shared summary comes from its 5-second cache, as it mostly does).
    await (await fetch(`${base}${path}`)).text();
    const statements = await capture(async () => {
      const check = await fetch(`${base}${path}`);
      await check.text();
      if (check.status !== 200) throw new Error(`${path} answered ${check.status}`);
    });

    for (let i = 0; i < WARMUP; i++) await (await fetch(`${base}${path}`)).text();
    serverTimes.length = 0;
    for (let i = 0; i < RUNS; i++) await (await fetch(`${base}${path}`)).text();
    const page = [...serverTimes].sort((a, b) => a - b);

    // The same statements alone, one after the other on one connection (the page runs some in parallel).
    const sqlTimes = await replay(statements);
    results.push({
      label,
      p50: percentile(page, 50),
      p95: percentile(page, 95),
      sql50: percentile(sqlTimes, 50),
      sql95: percentile(sqlTimes, 95),
      statements,
    });
  }

  // The reports kept warm: a first view, then views WARM_GAP_MS apart, each timed alone.
  for (const days of [30, 90]) {
    const path = `/warm/reports?days=${days}`;
    await (await fetch(`${base}${path}`)).text();
    const times: number[] = [];
    for (let i = 0; i < WARM_VIEWS; i++) {
      await new Promise((resolve) => setTimeout(resolve, WARM_GAP_MS));
      serverTimes.length = 0;
      await (await fetch(`${base}${path}`)).text();
      times.push(serverTimes[0] ?? Number.NaN);
    }
    times.sort((a, b) => a - b);
    results.push({
      label: `reports: ${days} d (kept warm)`,
      p50: percentile(times, 50),
      p95: percentile(times, 95),
      sql50: Number.NaN,
      sql95: Number.NaN,
      statements: [],
    });
  }
  // Nothing worked out behind the CSV export's memory figures.
  for (const app of [served, warm]) await (app.locals.stopBackground as () => Promise<void>)();

  out();
  // Shared machines skew every figure: say how busy this one was.
  out(
    `machine: ${availableParallelism()} CPUs, load average ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' / ')} (1/5/15 min)`,
  );
  out(`server time over ${RUNS} requests per variant (ms), next to the page's own SQL run alone`);
  out('(the summary row is loadSummary() called directly: its SQL plus the Node work around it)');
  out(
    `(kept warm: ${WARM_VIEWS} views ${WARM_GAP_MS / 1000} s apart with a ${WARM_TTL_MS / 1000} s lifetime, after a first view)`,
  );
  out(
    `${'variant'.padEnd(30)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'sql p50'.padStart(7)} ${'sql p95'.padStart(7)}  p50 ratio  queries`,
  );
  for (const r of results) {
    out(
      `${r.label.padEnd(30)} ${ms(r.p50)} ${ms(r.p95)} ${ms(r.sql50)} ${ms(r.sql95)}  ${(Number.isNaN(r.sql50) ? '—' : `${(r.p50 / r.sql50).toFixed(1)}x`).padStart(9)}  ${r.statements.length}`,
    );
  }

  // The CSV export (GET /tickets.csv): every row, streamed, against a filtered export of about a
  // hundred rows; the process's memory sampled while each downloads (this process serves it and
  // reads it, counting bytes and lines without keeping them).
  // A collection before each export, so each starts from the live heap (and not from what the
  // pages before left for the collector): V8's own gc(), exposed here rather than by a flag.
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const download = async (path: string) => {
    collect();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peakRss = Math.max(peakRss, now.rss);
      peakHeap = Math.max(peakHeap, now.heapUsed);
    }, 20);
    const start = performance.now();
    const response = await fetch(`${base}${path}`);
    let bytes = 0;
    let lines = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (const byte of chunk) if (byte === 10) lines += 1;
    }
    const ms = performance.now() - start;
    clearInterval(sampler);
    // What the export left behind: the live heap after a collection, against the one before.
    collect();
    const retainedMb = (process.memoryUsage().heapUsed - before.heapUsed) / 2 ** 20;
    return {
      retainedMb,
      status: response.status,
      ms,
      bytes,
      rows: lines - 1,
      rssGrowthMb: (peakRss - before.rss) / 2 ** 20,
      heapGrowthMb: (peakHeap - before.heapUsed) / 2 ** 20,
    };
  };
  out();
  out('CSV export (GET /tickets.csv), streamed in batches of 500; memory growth while it downloads');
  out(
    '(RSS and heap used at their peak against a collected heap before; live after: the heap collected again)',
  );
  for (const [label, path] of [
    ['csv: one requester', `/tickets.csv?requester=${requesterId(77)}`],
    ['csv: urgent ones', '/tickets.csv?priority=urgent'],
    ['csv: every ticket', '/tickets.csv'],
    ['csv: every ticket, again', '/tickets.csv'],
  ] as const) {
    const r = await download(path);
    out(
      `${label.padEnd(30)} HTTP ${r.status}  ${r.rows.toLocaleString('en').padStart(8)} rows  ${(r.bytes / 2 ** 20).toFixed(1).padStart(6)} MB  ${(r.ms / 1000).toFixed(2).padStart(6)} s  RSS +${r.rssGrowthMb.toFixed(1)} MB  heap +${r.heapGrowthMb.toFixed(1)} MB  live after +${r.retainedMb.toFixed(1)} MB`,
    );
  }

  out();
  out('plan of every statement (ANALYZE: table, access type, key, estimated rows, rows really read, extra)');
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
      // MariaDB's ANALYZE runs the statement and reports the rows it really read (r_rows);
      // EXPLAIN's estimate ignores LIMIT, so an index walked for 51 rows would look like a scan.
      const [plan] = (await raw
        .query(`ANALYZE ${sql}`)
        .catch(() => raw.query(`EXPLAIN ${sql}`))) as unknown as [Array<Record<string, unknown>>];
      for (const row of plan) {
        const estimate = Number(row.rows ?? 0);
        const read = row.r_rows === undefined || row.r_rows === null ? estimate : Number(row.r_rows);
        const table = String(row.table);
        const full = !table.startsWith('<') && (row.type === 'ALL' || row.type === 'index') && read > 10_000;
        if (full) scans.push(`${r.label}: ${table} (${row.type}, ${read} rows read)`);
        out(
          `    ${table.padEnd(14)} ${String(row.type).padEnd(9)} ${String(row.key ?? '-').padEnd(30)} rows=${String(estimate).padEnd(7)} read=${String(Math.round(read)).padEnd(7)} ${row.Extra ?? ''}${full ? '   <-- FULL SCAN' : ''}`,
        );
      }
    }
  }
  out();
  out(scans.length ? `full scans: ${scans.join('; ')}` : 'no statement scans a whole table or index');
  const slow = results.filter((r) => r.label.startsWith('list') && r.p95 >= 50);
  out(
    slow.length
      ? `list variants with p95 >= 50 ms: ${slow.map((r) => r.label).join(', ')}`
      : 'every list variant: p95 under 50 ms',
  );
} finally {
  server?.closeAllConnections();
  server?.close();
  await db.close();
  await raw.end();
  if (!process.argv.includes('--keep')) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  else out(`kept database ${name}`);
  await admin.end();
}
