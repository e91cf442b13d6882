import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { request } from 'undici';
import { ACTION_CLOSE, ACTION_REOPEN, ACTION_START } from '../src/slack/blocks/ids.js';
import { EmailSink } from './emailSink.js';
import type { PostedCard } from './slackApiServer.js';
import {
  BenchSlack,
  cpuMs,
  freshDatabase,
  newPool,
  pad,
  percentile,
  rssMb,
  sendSigned,
  sleep,
  startChild,
  stopChild,
  TEAM,
  type Timed,
  ticketbotEnv,
} from './support.js';

// npm run bench:soak — SOAK_SECONDS (600) of mixed traffic at SOAK_RATE (50) requests a second,
// open loop (each request sent when due, whatever the answers), into one ticketbot process on a
// fresh MariaDB database, the test Slack in a process of its own (rate limits off: ten new cards a
// second in one channel is more than Slack allows any app) and an in-process SMTP sink.
// The mix, of every ten requests: 2 modal submissions, 3 clicks on the buttons of cards ticketbot
// posted (their latest blocks, as Slack sends them back), 3 thread replies in card threads (signed
// `message` events), 2 status page views (the list and a ticket; the page lets a browser on this
// machine in without signing in, src/web/access.ts). After SOAK_WARMUP_SECONDS (15) of the same
// traffic, not counted, it prints per minute: requests, errors, p99 ack by kind, the process's RSS
// (/proc/PID/status), the event loop's delay (prom-client's monitorEventLoopDelay, read from
// /metrics, which answers this machine) and the outbox lag (the oldest unsent email's age).

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const WARMUP_SECONDS = Number(process.env.SOAK_WARMUP_SECONDS ?? 15);
const RATE = Number(process.env.SOAK_RATE ?? 50);
const CHANNEL = 'C0SOAKDESK1';
const TECHNICIAN = 'U0SOAKTECH1';
const PEOPLE = 200;
const MIX = [
  'submission',
  'click',
  'reply',
  'page',
  'click',
  'reply',
  'submission',
  'click',
  'reply',
  'page',
] as const;
type Kind = (typeof MIX)[number];

const person = (n: number) => `U0SOAK${String(n % PEOPLE).padStart(4, '0')}`;

function submission(n: number) {
  return {
    interactive: {
      type: 'view_submission',
      team: { id: TEAM, domain: 'bench' },
      user: { id: person(n), team_id: TEAM },
      api_app_id: 'A0TICKETBOT',
      token: 'bench',
      trigger_id: `soak.submit.${n}`,
      view: {
        id: `V0SOAK${n}`,
        team_id: TEAM,
        type: 'modal',
        callback_id: 'new_ticket',
        private_metadata: JSON.stringify({ channelId: CHANNEL }),
        hash: `${n}.soak`,
        state: {
          values: {
            title: { title: { type: 'plain_text_input', value: `Soak ticket ${n}` } },
            description: {
              description: { type: 'plain_text_input', value: 'The printer on floor 3 <jams> & squeaks' },
            },
            priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
          },
        },
      },
      response_urls: [],
    },
  };
}

const CLICKABLE = new Set([ACTION_START, ACTION_CLOSE, ACTION_REOPEN]);

/** A technician clicks a status button of the card, as Slack sends the click (block_actions). */
function click(n: number, card: PostedCard, slackUrl: string) {
  const blocks = (card.blocks ?? []) as Array<{ type: string; block_id?: string; elements?: unknown[] }>;
  const actions = blocks.find(
    (block) => block.type === 'actions' && block.block_id?.startsWith('ticket_actions:'),
  );
  const buttons = ((actions?.elements ?? []) as Array<Record<string, unknown>>).filter((element) =>
    CLICKABLE.has(String(element.action_id)),
  );
  const button = buttons[n % Math.max(buttons.length, 1)];
  if (!actions || !button) return undefined;
  return {
    interactive: {
      type: 'block_actions',
      team: { id: TEAM, domain: 'bench' },
      user: { id: TECHNICIAN, team_id: TEAM },
      api_app_id: 'A0TICKETBOT',
      token: 'bench',
      container: { type: 'message', message_ts: card.ts, channel_id: card.channel, is_ephemeral: false },
      trigger_id: `soak.click.${n}`,
      channel: { id: card.channel, name: 'helpdesk' },
      message: {
        type: 'message',
        ts: card.ts,
        user: 'UBOT000001',
        bot_id: 'BBOT000001',
        blocks: card.blocks,
      },
      state: { values: {} },
      response_url: `${slackUrl.replace('/api/', '')}/response/soak.${n}`,
      actions: [
        {
          type: button.type,
          action_id: button.action_id,
          block_id: actions.block_id,
          value: button.value,
          action_ts: `${Math.floor(Date.now() / 1000)}.${String(n % 1_000_000).padStart(6, '0')}`,
        },
      ],
    },
  };
}

/** The requester the card names (its blocks mention them). */
function requesterOf(card: PostedCard): string | undefined {
  return /<@(U0SOAK\d+)>/.exec(JSON.stringify(card.blocks ?? []))?.[1];
}

/** A reply in the card's thread, by its requester or its technician, as the Events API delivers it. */
function reply(n: number, card: PostedCard) {
  const ts = `${Math.floor(Date.now() / 1000)}.${String(n % 1_000_000).padStart(6, '0')}`;
  return {
    json: {
      token: 'bench',
      team_id: TEAM,
      api_app_id: 'A0TICKETBOT',
      type: 'event_callback',
      event_id: `Ev0SOAK${String(n).padStart(9, '0')}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: TEAM, user_id: 'UBOT000001', is_bot: true }],
      event: {
        type: 'message',
        channel: card.channel,
        channel_type: 'channel',
        user: n % 2 ? TECHNICIAN : (requesterOf(card) ?? TECHNICIAN),
        text: `Reply ${n}: tried turning it off and on <again> & it still squeaks`,
        ts,
        thread_ts: card.ts,
        parent_user_id: 'UBOT000001',
        event_ts: ts,
      },
    },
  };
}

interface Sample extends Timed {
  kind: Kind;
  error: boolean;
}

/** prom-client's event-loop delay gauges (seconds), from a /metrics scrape. */
function eventLoop(metrics: string): { p99: number; max: number } {
  const read = (name: string) =>
    Number(
      new RegExp(`^ticketbot_nodejs_eventloop_lag_${name}_seconds(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(
        metrics,
      )?.[1],
    ) * 1000;
  return { p99: read('p99'), max: read('max') };
}

async function main() {
  const loadAtStart = loadavg()[0]!.toFixed(1);
  const db = await freshDatabase();
  const slack = await BenchSlack.start({ BENCH_SLACK_CARD_BLOCKS: '1' });
  const sink = new EmailSink();
  await sink.start();
  // ticketbot as `npm start` runs it (compiled, no TypeScript loader, whose sources and source maps
  // would weigh on the RSS measured): built first.
  if (process.env.SOAK_BUILD !== '0')
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  const bot = await startChild(
    'bench/builtTarget.mjs',
    [],
    ticketbotEnv(db.url, slack.url, CHANNEL, { SMTP_URL: sink.url, TECHNICIAN_USER_IDS: TECHNICIAN }),
    false,
    // The minute's memory figures include the live heap after a full GC (see builtTarget.mjs).
    // SOAK_NODE_OPTIONS adds Node options, e.g. --max-old-space-size=160.
    ['--expose-gc', ...(process.env.SOAK_NODE_OPTIONS ?? '').split(' ').filter(Boolean)],
  );
  // A bare Bolt app that only acks gets a copy of every fourth Slack request, at the same moment:
  // the machine's own share of the latency (its CPUs are shared), measured beside ticketbot's.
  const bare = await startChild(
    'bench/slackTarget.ts',
    ['bare'],
    ticketbotEnv(db.url, slack.url, CHANNEL, {}),
  );
  const barePool = newPool(bare.url);
  const baseline: Timed[] = [];
  const pid = bot.child.pid!;
  /** The heap's figures (MB) the target reports on SIGUSR2, the latest. */
  let memory: Record<string, number> = {};
  bot.lines.on('line', (line) => {
    const parsed = JSON.parse(line) as { memory?: Record<string, number> };
    if (parsed.memory) {
      memory = Object.fromEntries(Object.entries(parsed.memory).map(([k, v]) => [k, v / 1048576]));
    }
  });
  const heap = () =>
    `heap used ${memory.heapUsed?.toFixed(0)} of ${memory.heapTotal?.toFixed(0)} MB, live after a full GC ${memory.live?.toFixed(0)} MB, external ${memory.external?.toFixed(0)} MB`;
  const pool = newPool(bot.url);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const rssAtStart = rssMb(pid);
  const scrape = async () => {
    const response = await request(`${bot.url}/metrics`);
    return eventLoop(await response.body.text());
  };
  const outboxLagS = async () => {
    const [[row]] = (await db.admin.query(
      `SELECT TIMESTAMPDIFF(MICROSECOND, MIN(created_at), UTC_TIMESTAMP(6)) / 1e6 AS lag, COUNT(*) AS n FROM \`${db.name}\`.email_outbox WHERE status IN ('pending', 'sending')`,
    )) as unknown as [[{ lag: number | null; n: number }]];
    return { lag: row.lag === null ? 0 : Number(row.lag), unsent: Number(row.n) };
  };

  let cards: PostedCard[] = [];
  let refreshing = false;
  const refreshCards = () => {
    if (refreshing) return;
    refreshing = true;
    void slack
      .ask<PostedCard[]>({ op: 'cards', withBlocks: true, last: 1000 })
      .then((found) => {
        // The most recent thousand: old tickets are clicked less, as in a helpdesk.
        cards = found;
      })
      .finally(() => {
        refreshing = false;
      });
  };
  const refresher = setInterval(refreshCards, 2000);

  const samples: Sample[] = [];
  const inFlight = new Set<Promise<void>>();
  const interval = 1000 / RATE;
  const totalSeconds = WARMUP_SECONDS + SECONDS;
  const started = performance.now();
  const measuredFrom = started + WARMUP_SECONDS * 1000;
  const minutes: Array<
    | {
        rss: number;
        cpu: number;
        loop: { p99: number; max: number };
        outbox: { lag: number; unsent: number };
      }
    | undefined
  > = [];
  let nextMinute = measuredFrom + 60_000;
  let pagesSeen = 0;
  try {
    process.stderr.write(
      `[soak] ${RATE} req/s for ${WARMUP_SECONDS} s (warm-up) + ${SECONDS} s into ${bot.url} (pid ${pid})…\n`,
    );
    let measuring = false;
    let rssAfterWarmUp = Number.NaN;
    let cpuMark = 0;
    for (let n = 1; ; n += 1) {
      const due = started + (n - 1) * interval;
      if (due >= started + totalSeconds * 1000) break;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      if (!measuring && performance.now() >= measuredFrom) {
        measuring = true;
        rssAfterWarmUp = rssMb(pid);
        cpuMark = cpuMs(pid);
        // Resets the event-loop histogram: the first minute starts here. Not awaited, nor below:
        // the requests' schedule never waits for the bench's own questions.
        void scrape();
      }
      if (performance.now() >= nextMinute) {
        nextMinute += 60_000;
        const rss = rssMb(pid);
        bot.child.kill('SIGUSR2');
        const cpuNow = cpuMs(pid);
        const cpu = (cpuNow - cpuMark) / 600; // % of one core over the minute
        cpuMark = cpuNow;
        const slot = minutes.length;
        minutes.push(undefined);
        void Promise.all([scrape(), outboxLagS()]).then(([loop, outbox]) => {
          minutes[slot] = { rss, cpu, loop, outbox };
          process.stderr.write(
            `[soak] minute ${slot + 1}: RSS ${rss.toFixed(0)} MB (${heap()}), CPU ${cpu.toFixed(0)} %, event loop p99 ${loop.p99.toFixed(0)} ms, outbox lag ${outbox.lag.toFixed(1)} s\n`,
          );
        });
      }
      let kind: Kind = MIX[n % MIX.length]!;
      const card = cards.length ? cards[(n * 7919) % cards.length] : undefined;
      let body: Parameters<typeof sendSigned>[1] | undefined;
      if (kind === 'click' && card) body = click(n, card, slack.url);
      else if (kind === 'reply' && card) body = reply(n, card);
      if ((kind === 'click' || kind === 'reply') && !body) kind = 'submission';
      if (kind === 'submission') body = submission(n);
      const counted = measuring;
      const sent: Promise<Timed> =
        kind === 'page'
          ? pool
              .request({
                method: 'GET',
                path: pagesSeen++ % 2 || !card ? '/' : `/tickets/${card.ticketId}`,
                headersTimeout: 10_000,
              })
              .then(async (response) => {
                await response.body.dump();
                return { due, ms: performance.now() - due, status: response.statusCode, body: '' };
              })
              .catch((error: unknown) => ({
                due,
                ms: performance.now() - due,
                status: 0,
                body: String(error),
              }))
          : sendSigned(pool, body!, due);
      if (kind !== 'page' && n % 4 === 0) {
        const copy = sendSigned(barePool, body!, due).then((answer) => {
          if (counted) baseline.push(answer);
        });
        inFlight.add(copy);
        void copy.finally(() => inFlight.delete(copy));
      }
      const done = sent.then((answer) => {
        if (!counted) return;
        const error =
          answer.status < 200 || answer.status > 299 || (kind === 'submission' && answer.body !== '');
        samples.push({ ...answer, kind, error });
      });
      inFlight.add(done);
      void done.finally(() => inFlight.delete(done));
    }
    await Promise.all(inFlight);
    const [loop, outbox] = await Promise.all([scrape(), outboxLagS()]);
    const rssAtEnd = rssMb(pid);
    const cpuAtEnd = (cpuMs(pid) - cpuMark) / ((performance.now() - (nextMinute - 60_000)) / 100);
    bot.child.kill('SIGUSR2');
    // The work owed after the load: the outbox drained?
    await sleep(10_000);
    const drained = await outboxLagS();

    const [[counts]] = (await db.admin.query(
      `SELECT (SELECT COUNT(*) FROM \`${db.name}\`.tickets) AS tickets, (SELECT COUNT(*) FROM \`${db.name}\`.comments) AS comments, (SELECT COUNT(*) FROM \`${db.name}\`.email_outbox WHERE status = 'sent') AS sent`,
    )) as unknown as [[{ tickets: number; comments: number; sent: number }]];

    out(
      `\nbench:soak — ${RATE} req/s of mixed traffic for ${SECONDS} s (after ${WARMUP_SECONDS} s warm-up), one ticketbot process on MariaDB ` +
        `(${cpus().length} CPUs, load average ${loadAtStart} at start, ${loadavg()[0]!.toFixed(1)} at end)`,
    );
    out(
      `mix per 10 requests: 2 submissions, 3 card clicks, 3 thread replies, 2 page views; stored: ${counts.tickets} tickets, ${counts.comments} comments, ${counts.sent} emails sent (${sink.accepted} accepted by the sink)\n`,
    );
    out(`RSS at start ${rssAtStart.toFixed(0)} MB, after the warm-up ${rssAfterWarmUp.toFixed(0)} MB\n`);
    const kinds: Kind[] = ['submission', 'click', 'reply', 'page'];
    out(
      `${'minute'.padEnd(8)}${pad('requests', 9)}${pad('errors', 8)}${pad('p99 ms', 8)}${kinds.map((k) => pad(`${k} p99`, 15)).join('')}${pad('bare p99', 10)}${pad('RSS MB', 8)}${pad('CPU %', 7)}${pad('loop p99', 10)}${pad('loop max', 10)}${pad('outbox lag s', 14)}`,
    );
    const minuteCount = Math.ceil(SECONDS / 60);
    const p99s: number[] = [];
    for (let m = 0; m < minuteCount; m += 1) {
      const inMinute = samples.filter(
        (s) => s.due >= measuredFrom + m * 60_000 && s.due < measuredFrom + (m + 1) * 60_000,
      );
      const p99 = percentile(
        inMinute.map((s) => s.ms),
        0.99,
      );
      p99s.push(p99);
      const bareP99 = percentile(
        baseline
          .filter((s) => s.due >= measuredFrom + m * 60_000 && s.due < measuredFrom + (m + 1) * 60_000)
          .map((s) => s.ms),
        0.99,
      );
      const figures = minutes[m] ?? { rss: rssAtEnd, cpu: cpuAtEnd, loop, outbox };
      out(
        `${String(m + 1).padEnd(8)}${pad(inMinute.length, 9)}${pad(inMinute.filter((s) => s.error).length, 8)}${pad(Math.round(p99), 8)}${kinds
          .map((k) =>
            pad(
              Math.round(
                percentile(
                  inMinute.filter((s) => s.kind === k).map((s) => s.ms),
                  0.99,
                ),
              ),
              15,
            ),
          )
          .join(
            '',
          )}${pad(Math.round(bareP99), 10)}${pad(figures.rss.toFixed(0), 8)}${pad(figures.cpu.toFixed(0), 7)}${pad(figures.loop.p99.toFixed(0), 10)}${pad(figures.loop.max.toFixed(0), 10)}${pad(figures.outbox.lag.toFixed(1), 14)}`,
      );
    }
    out(
      `\nRSS at the end ${rssAtEnd.toFixed(0)} MB (${heap()}); outbox 10 s after the load: ${drained.unsent} unsent (oldest ${drained.lag.toFixed(1)} s)`,
    );
    const errors = samples.filter((s) => s.error);
    if (errors.length) {
      out(
        `errors: ${errors.length}, e.g. ${errors
          .slice(0, 3)
          .map((e) => `${e.kind} ${e.status} ${e.body.slice(0, 120)}`)
          .join(' | ')}`,
      );
    }
    const worst = Math.max(...p99s);
    out(
      `\naim: p99 < 100 ms every minute → worst minute ${Math.round(worst)} ms ${worst < 100 ? '(met)' : '(NOT met)'}`,
    );
    const rssSeries = [...minutes.map((m) => m?.rss ?? Number.NaN), rssAtEnd];
    const peak = Math.max(...rssSeries);
    out(`aim: RSS under 200 MB → peak ${peak.toFixed(0)} MB ${peak < 200 ? '(met)' : '(NOT met)'}`);
    if (rssSeries.length > 2) {
      const fromMinute2 = rssSeries[Math.min(1, rssSeries.length - 1)]!;
      const growth = rssAtEnd - fromMinute2;
      const perMinute = growth / Math.max(rssSeries.length - 2, 1);
      out(
        `aim: RSS flat after minute 2 → ${fromMinute2.toFixed(0)} MB at minute 2, ${rssAtEnd.toFixed(0)} MB at the end (${growth >= 0 ? '+' : ''}${growth.toFixed(0)} MB, ${perMinute.toFixed(1)} MB/min) ${Math.abs(growth) <= 10 ? '(met)' : '(NOT met)'}`,
      );
    }
  } finally {
    clearInterval(refresher);
    await pool.close();
    await barePool.close();
    await stopChild(bot.child);
    await stopChild(bare.child);
    await slack.stop();
    await sink.close();
    await db.drop();
  }
}

await main();
