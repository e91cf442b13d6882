import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import mysql from 'mysql2/promise';
import { Pool } from 'undici';
import { FakeSlack, type StoredMessage } from '../test/support/slackApi.js';
import { encodeBody, signedHeaders } from '../test/support/slackSigner.js';
import { TestSmtpServer } from '../test/support/smtpServer.js';

// npm run bench:outage — ticketbot under steady traffic (new tickets from the modal, Close clicks
// on their cards) through three outages, one after the other: Slack answering HTTP 500 then
// hanging, the SMTP server down, the database unreachable. Not a test: it prints, per outage, what
// people saw and how long ticketbot took to catch up once the outage ended.
//
// ticketbot runs as its own process (bench/outageTarget.ts) on a fresh MariaDB database
// (BENCH_DATABASE_URL, else the local server), reached through a TCP relay of this script's own
// that the database outage closes (the shared MariaDB is never touched); the test Slack and a
// real SMTP server run here. Loopback only.
//
// Durations (seconds): SLACK_OUTAGE_S (120: half answering 500, half hanging), SMTP_OUTAGE_S
// (600), DB_OUTAGE_S (30), each multiplied by OUTAGE_SCALE (1). BENCH_RATE: requests per second
// (2). BENCH_OUTAGES: which of slack,smtp,database to run (all). BENCH_SHORT=1: every duration a twentieth and the card catch-up every 5 s instead of every
// minute (a run of about a minute and a half, to see it work; the full run's figures are the ones
// to read).

const SHORT = process.env.BENCH_SHORT === '1';
const SCALE = Number(process.env.OUTAGE_SCALE ?? (SHORT ? 0.05 : 1));
const seconds = (name: string, fallback: number) => Number(process.env[name] ?? fallback) * SCALE;
const OUTAGES = {
  slack: seconds('SLACK_OUTAGE_S', 120),
  smtp: seconds('SMTP_OUTAGE_S', 600),
  database: seconds('DB_OUTAGE_S', 30),
};
const RATE = Number(process.env.BENCH_RATE ?? 2);
/** Steady traffic before each outage (s), and the longest wait for the catch-up after it. */
const CALM_S = SHORT ? 5 : 20;
const CATCH_UP_LIMIT_S = Number(process.env.BENCH_CATCH_UP_LIMIT_S ?? 300);
const SECRET = 'bench-outage-signing-secret';
const TOKEN = 'xoxb-bench-outage';
const CHANNEL = 'C0OUTDESK1';
const TECHNICIAN = 'U0OUTTECH1';
const REQUESTERS = Array.from({ length: 20 }, (_, i) => `U0OUTREQ${String(i).padStart(2, '0')}`);
const TEAM = 'T0TEAM0001';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP relay to MariaDB that can go away (refusing and cutting connections) and come back. */
class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

interface Window {
  sent: number;
  acked: number;
  /** Not answered 200 (an HTTP error, a timeout, a refused connection): Slack shows an error. */
  unanswered: number;
  /** Modal submissions answered with errors on the modal. */
  modalErrors: number;
  /** Acknowledged submissions whose ticket was never stored, and acknowledged closes never applied. */
  submissionKeys: string[];
  closes: Array<{ ticketId: number; n: number }>;
  /** How many Web API calls the test Slack had recorded when the window opened. */
  callsBefore: number;
}

const newWindow = (): Window => ({
  callsBefore: 0,
  sent: 0,
  acked: 0,
  unanswered: 0,
  modalErrors: 0,
  submissionKeys: [],
  closes: [],
});

async function main() {
  const serverUrl = new URL(process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/');
  const dbName = `ticketbot_outage_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({
    host: serverUrl.hostname,
    port: Number(serverUrl.port || 3306),
    user: decodeURIComponent(serverUrl.username || 'root'),
    password: decodeURIComponent(serverUrl.password),
  });
  await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.query(`USE \`${dbName}\``);

  const relay = new Relay({ host: serverUrl.hostname, port: Number(serverUrl.port || 3306) });
  await relay.up();
  const slack = await FakeSlack.start();
  slack.addUser(TECHNICIAN, { name: 'Tech', email: 'tech@example.com' });
  for (const id of REQUESTERS)
    slack.addUser(id, { name: id.toLowerCase(), email: `${id.toLowerCase()}@example.com` });
  const smtp = await TestSmtpServer.start();

  const dbUrl = new URL(serverUrl.toString());
  dbUrl.hostname = '127.0.0.1';
  dbUrl.port = String(relay.port);
  dbUrl.pathname = `/${dbName}`;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bench/outageTarget.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      DATABASE_URL: dbUrl.toString(),
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      HELPDESK_CHANNEL_ID: CHANNEL,
      TECHNICIAN_USER_IDS: TECHNICIAN,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'ticketbot <ticketbot@example.com>',
      ...(SHORT ? { BENCH_CARD_CATCH_UP_MS: '5000' } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await Promise.race([
    once(createInterface({ input: child.stdout! }), 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`ticketbot exited with ${code} before listening`);
    }),
  ])) as [string];
  const url = (JSON.parse(line) as { url: string }).url;
  const http = new Pool(url, { connections: 32 });

  // Traffic: one request every 1000/RATE ms, whatever the answers: a new ticket, then a Close
  // click on an open ticket whose card is posted, in turn.
  let n = 0;
  let window = newWindow();
  let running = true;
  const clicked = new Set<number>();
  const inFlight = new Set<Promise<void>>();
  const send = async (payload: unknown, onAck: (body: string) => void, counted: Window) => {
    counted.sent += 1;
    const { raw, contentType } = encodeBody({ interactive: payload });
    try {
      const response = await http.request({
        method: 'POST',
        path: '/slack/events',
        headers: signedHeaders(SECRET, raw, contentType),
        body: raw,
        // Slack gives up on an answer after three seconds.
        headersTimeout: 3_000,
        bodyTimeout: 3_000,
      });
      const body = await response.body.text();
      if (response.statusCode !== 200) counted.unanswered += 1;
      else {
        counted.acked += 1;
        onAck(body);
      }
    } catch {
      counted.unanswered += 1;
    }
  };
  const traffic = (async () => {
    const started = performance.now();
    for (let i = 0; running; i += 1) {
      const wait = started + (i * 1000) / RATE - performance.now();
      if (wait > 1) await sleep(wait);
      const counted = window;
      n += 1;
      let task: Promise<void>;
      if (i % 2 === 0) {
        const viewId = `V0OUT${n}`;
        task = send(
          submission(n, viewId),
          (body) => {
            if (body.includes('response_action')) counted.modalErrors += 1;
            else counted.submissionKeys.push(`slack-view:${viewId}`);
          },
          counted,
        );
      } else {
        const [rows] = await admin.query(
          `SELECT t.id, t.version, c.channel_id AS channel, c.message_ts AS ts FROM tickets t
           JOIN slack_cards c ON c.ticket_id = t.id
           WHERE t.status = 'open' AND c.message_ts IS NOT NULL ORDER BY t.id LIMIT 20`,
        );
        // Each ticket is closed once: a second click on it would be refused, rightly.
        const open = (rows as Array<{ id: number; version: number; channel: string; ts: string }>).find(
          (row) => !clicked.has(Number(row.id)),
        );
        if (!open) continue;
        clicked.add(Number(open.id));
        const click = n;
        task = send(
          closeClick(click, open, slack.url.replace('/api/', '')),
          () => counted.closes.push({ ticketId: Number(open.id), n: click }),
          counted,
        );
      }
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    }
  })();

  const results: Array<Record<string, string | number>> = [];
  const ephemeralCalls = () =>
    slack.calls.filter((c) => c.method === 'chat.postEphemeral' || c.method.startsWith('POST /')).length;

  async function outage(name: string, durationS: number, down: () => Promise<void>, up: () => Promise<void>) {
    await sleep(CALM_S * 1000);
    window = newWindow();
    const counted = window;
    counted.callsBefore = slack.calls.length;
    const ephemeralsBefore = ephemeralCalls();
    process.stdout.write(`${name}: down for ${durationS.toFixed(0)} s… `);
    await down();
    await sleep(durationS * 1000);
    await up();
    const recovered = performance.now();
    const [[marks]] = (await admin.query(
      'SELECT (SELECT COALESCE(MAX(id), 0) FROM tickets) AS tickets, (SELECT COALESCE(MAX(id), 0) FROM email_outbox) AS emails',
    )) as unknown as [[{ tickets: number; emails: number }]];
    let caughtUpS: number | undefined;
    let state = await deliveries(Number(marks.tickets), Number(marks.emails));
    while (performance.now() - recovered < CATCH_UP_LIMIT_S * 1000) {
      if (state.missing === 0) {
        caughtUpS = (performance.now() - recovered) / 1000;
        break;
      }
      await sleep(250);
      state = await deliveries(Number(marks.tickets), Number(marks.emails));
    }
    // Requests sent in the window and still unanswered are counted before reading the window.
    await Promise.all([...inFlight]);
    const lostAcked = await unstored(counted);
    process.stdout.write(
      `back; caught up ${caughtUpS === undefined ? 'never' : `in ${caughtUpS.toFixed(1)} s`}\n`,
    );
    results.push({
      outage: name,
      's down': Number(durationS.toFixed(0)),
      requests: counted.sent,
      acknowledged: counted.acked,
      'unanswered (error in Slack)': counted.unanswered,
      'modal errors': counted.modalErrors,
      'ephemerals (try again)': ephemeralCalls() - ephemeralsBefore,
      's to catch up (cards, DMs, prompts, emails)':
        caughtUpS === undefined ? `> ${CATCH_UP_LIMIT_S}` : Number(caughtUpS.toFixed(1)),
      'duplicates (aim 0)': state.duplicates,
      doubled: describe(state.doubledBy),
      'lost (aim 0)': state.missing + lostAcked.submissions + lostAcked.clicks,
      'of which': describe({
        ...state.missingBy,
        'acked submission not stored': lostAcked.submissions,
        'acked click not applied': lostAcked.clicks,
      }),
      'process up': child.exitCode === null ? 'yes' : `no (exit ${child.exitCode})`,
    });
  }

  /** What is owed for tickets up to `maxTicket` and emails up to `maxEmail`, missing and doubled. */
  async function deliveries(maxTicket: number, maxEmail: number) {
    const [tickets] = (await admin.query(
      'SELECT id, requester_id AS requester, status, resolution FROM tickets WHERE id <= ?',
      [maxTicket],
    )) as unknown as [Array<{ id: number; requester: string; status: string; resolution: number }>];
    const cards = new Map<number, number>();
    for (const message of slack.messagesIn(CHANNEL)) {
      const id = Number(message.metadata?.event_payload.ticket_id);
      if (id) cards.set(id, (cards.get(id) ?? 0) + 1);
    }
    const keys = new Map<string, number>();
    const prompts = new Map<string, number>();
    const dms = [TECHNICIAN, ...REQUESTERS].flatMap((id) => slack.messagesIn(`D${id.slice(1)}`));
    for (const message of dms) {
      const key = onceKey(message);
      if (key) keys.set(key, (keys.get(key) ?? 0) + 1);
      const prompt = /"rating:(\d+):(\d+)"/.exec(JSON.stringify(message.blocks ?? []));
      if (prompt)
        prompts.set(`${prompt[1]}:${prompt[2]}`, (prompts.get(`${prompt[1]}:${prompt[2]}`) ?? 0) + 1);
    }
    // A prompt edited after a reopening no longer shows its buttons; the bench never reopens.
    let missing = 0;
    let duplicates = 0;
    const missingBy: Record<string, number> = {};
    const doubledBy: Record<string, number> = {};
    const count = (what: string, found: number | undefined) => {
      if (!found) {
        missing += 1;
        missingBy[what] = (missingBy[what] ?? 0) + 1;
      } else if (found > 1) {
        duplicates += found - 1;
        doubledBy[what] = (doubledBy[what] ?? 0) + found - 1;
      }
    };
    for (const ticket of tickets) {
      count('card', cards.get(Number(ticket.id)));
      count('requester DM', keys.get(`ticket:${ticket.id}:requester`));
      count('technician DM', keys.get(`ticket:${ticket.id}:technician`));
      if (ticket.status === 'closed')
        count('rating prompt', prompts.get(`${ticket.id}:${ticket.resolution}`));
    }
    const [emails] = (await admin.query(
      "SELECT message_id AS messageId, status FROM email_outbox WHERE id <= ? AND status <> 'cancelled'",
      [maxEmail],
    )) as unknown as [Array<{ messageId: string | null; status: string }>];
    const received = new Map<string, number>();
    for (const id of smtp.messageIds()) received.set(id, (received.get(id) ?? 0) + 1);
    for (const email of emails)
      count('email', email.status === 'sent' && email.messageId ? received.get(email.messageId) : 0);
    return { missing, duplicates, missingBy, doubledBy };
  }

  /** Acknowledged submissions with no ticket, acknowledged closes not applied. */
  async function unstored(counted: Window): Promise<{ submissions: number; clicks: number }> {
    // A click is acknowledged once recorded in the inbox, and applied from there just after: the
    // ones still waiting their turn are not lost, so they are waited for (up to the catch-up limit).
    const waitUntil = performance.now() + CATCH_UP_LIMIT_S * 1000;
    while (performance.now() < waitUntil) {
      const [[pending]] = (await admin.query(
        'SELECT COUNT(*) AS n FROM slack_inbox WHERE applied_at IS NULL AND failed_reason IS NULL',
      )) as unknown as [[{ n: number }]];
      if (Number(pending.n) === 0) break;
      await sleep(250);
    }
    const lost = { submissions: 0, clicks: 0 };
    for (const key of counted.submissionKeys) {
      const [rows] = await admin.query('SELECT id FROM tickets WHERE submission_key = ?', [key]);
      if ((rows as unknown[]).length === 0) lost.submissions += 1;
    }
    // A click answered with "try again" (an ephemeral to its clicker, in the card's channel, or
    // through its response_url) was not taken, and its person knows it: not lost. Every click here
    // is the same technician's, so the told ones are counted, not matched.
    let notApplied = 0;
    for (const { ticketId } of counted.closes) {
      const [rows] = await admin.query(
        "SELECT id FROM ticket_events WHERE ticket_id = ? AND type = 'status_changed' AND to_value = 'closed'",
        [ticketId],
      );
      if ((rows as unknown[]).length > 0) continue;
      notApplied += 1;
      // What became of it, for the reader of a loss: its inbox rows, if any.
      const [entries] = await admin.query(
        `SELECT id, kind, attempts, applied_at AS appliedAt, failed_reason AS failedReason
         FROM slack_inbox WHERE order_key = ?`,
        [`ticket:${ticketId}`],
      );
      process.stdout.write(`\n  close of ticket ${ticketId} not applied; inbox: ${JSON.stringify(entries)}`);
    }
    // The "try again" is sent after the click's ack: it may still be on its way.
    const told = () =>
      slack.calls
        .slice(counted.callsBefore)
        .filter(
          (c) =>
            c.method.startsWith('POST /response/') ||
            (c.method === 'chat.postEphemeral' && c.args.user === TECHNICIAN && !c.args.thread_ts),
        ).length;
    const toldBy = performance.now() + 30_000;
    while (told() < notApplied && performance.now() < toldBy) await sleep(250);
    lost.clicks = Math.max(0, notApplied - told());
    return lost;
  }

  const only = new Set((process.env.BENCH_OUTAGES ?? 'slack,smtp,database').split(','));
  try {
    // The baseline: the same traffic and the same measures, nothing down.
    await outage(
      'none (baseline)',
      OUTAGES.database,
      async () => undefined,
      async () => undefined,
    );
    let upSlack: () => void = () => undefined;
    if (only.has('slack'))
      await outage(
        'Slack 500s, then hanging',
        OUTAGES.slack,
        async () => {
          const error = slack.down('error');
          setTimeout(
            () => {
              error();
              upSlack = slack.down('hang');
            },
            (OUTAGES.slack * 1000) / 2,
          ).unref();
          upSlack = error;
        },
        async () => upSlack(),
      );
    if (only.has('smtp'))
      await outage(
        'SMTP server down',
        OUTAGES.smtp,
        () => smtp.down(),
        () => smtp.up(),
      );
    if (only.has('database'))
      await outage(
        'database unreachable',
        OUTAGES.database,
        () => relay.down(),
        () => relay.up(),
      );
  } finally {
    running = false;
    await traffic;
    await Promise.all([...inFlight]);
    printTable(results);
    process.stdout.write(
      `${slack.calls.length} Web API calls; ${RATE} requests/s; durations scaled by ${SCALE}${SHORT ? ' (short version)' : ''}\n`,
    );
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
    await http.close();
    await smtp.close();
    await slack.stop();
    await relay.down();
    await admin.query(`DROP DATABASE \`${dbName}\``);
    await admin.end();
  }
}

/** `card 2, email 1`, or `-`. */
function describe(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([, value]) => value > 0)
    .map(([key, value]) => `${key} ${value}`);
  return parts.join(', ') || '-';
}

/** One column per outage, one line per figure. */
function printTable(results: Array<Record<string, string | number>>): void {
  if (results.length === 0) return;
  const names = Object.keys(results[0]!);
  const width = Math.max(...names.map((name) => name.length));
  const columns = results.map((row) => Math.max(...names.map((name) => String(row[name]).length)));
  process.stdout.write('\n');
  for (const name of names) {
    const cells = results.map((row, i) => String(row[name]).padStart(columns[i]!));
    process.stdout.write(`${name.padEnd(width)}  ${cells.join('  ')}\n`);
  }
}

function onceKey(message: StoredMessage): string | undefined {
  return message.metadata?.event_type === 'ticketbot_once'
    ? String(message.metadata.event_payload.key)
    : undefined;
}

function submission(n: number, viewId: string) {
  const requester = REQUESTERS[n % REQUESTERS.length]!;
  return {
    type: 'view_submission',
    team: { id: TEAM, domain: 'bench' },
    user: { id: requester, team_id: TEAM },
    api_app_id: 'A0TICKETBOT',
    token: 'bench',
    trigger_id: `outage.${n}`,
    view: {
      id: viewId,
      type: 'modal',
      callback_id: 'new_ticket',
      private_metadata: JSON.stringify({ channelId: CHANNEL }),
      hash: `${n}`,
      state: {
        values: {
          title: { title: { type: 'plain_text_input', value: `Outage ticket ${n}` } },
          priority: { priority: { type: 'static_select', selected_option: { value: 'normal' } } },
          technician: { technician: { type: 'static_select', selected_option: { value: TECHNICIAN } } },
        },
      },
    },
  };
}

function closeClick(
  n: number,
  ticket: { id: number; version: number; channel: string; ts: string },
  slackOrigin: string,
) {
  return {
    type: 'block_actions',
    team: { id: TEAM, domain: 'bench' },
    user: { id: TECHNICIAN, team_id: TEAM },
    api_app_id: 'A0TICKETBOT',
    token: 'bench',
    trigger_id: `outage.click.${n}`,
    container: { type: 'message', message_ts: ticket.ts, channel_id: ticket.channel },
    channel: { id: ticket.channel, name: 'helpdesk' },
    message: { type: 'message', ts: ticket.ts, blocks: [] },
    response_url: `${slackOrigin}/response/${n}`,
    actions: [
      {
        type: 'button',
        action_id: 'ticket_close',
        block_id: `ticket_actions:${ticket.id}:${ticket.version}`,
        value: String(ticket.id),
        action_ts: '1',
      },
    ],
  };
}

await main();
