import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateBlocks, validateView } from './slackBlockKit.js';
import { SlackOidc } from './slackOidc.js';

// A test Slack: an HTTP server on 127.0.0.1 that answers the Web API methods ticketbot uses the
// way Slack does (response shapes from test/fixtures/slack/payloads/web-api-responses/),
// records every call, and rejects blocks and views that break Block Kit's limits.

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** What the test Slack answered. */
  response: Record<string, unknown>;
}

export interface FakeUser {
  name?: string;
  realName?: string;
  email?: string;
  locale?: string;
  tz?: string;
  isBot?: boolean;
}

type ArgsMatch = (args: Record<string, unknown>) => boolean;

/** Arguments the Web API client sends JSON-encoded inside its form body. */
const JSON_ARGS = new Set(['blocks', 'view', 'attachments', 'metadata']);

export class FakeSlack {
  readonly botUserId = 'UBOT000001';
  readonly botId = 'BBOT000001';
  readonly teamId = 'T0TEAM0001';
  readonly calls: SlackCall[] = [];
  /** Calls Slack refused because of their blocks or view (should stay empty). */
  readonly rejected: SlackCall[] = [];
  readonly users = new Map<string, FakeUser>();
  /** Channels the bot is not a member of: chat.postMessage answers not_in_channel. */
  readonly channelsWithoutBot = new Set<string>();
  private readonly httpFailures = new Map<string, number[]>();
  private readonly failures: Array<{ method: string; error: string; match: ArgsMatch }> = [];
  private readonly holds: Array<{
    method: string;
    match: ArgsMatch;
    arrived: () => void;
    released: Promise<void>;
  }> = [];
  private tsCounter = 0;
  private viewCounter = 0;
  record = true;
  /** Where apps.connections.open sends Socket Mode clients (see slackSocket.ts). */
  socketUrl: string | undefined;
  /** Sign in with Slack (OpenID Connect), once a test turns it on with signIn(). */
  oidc: SlackOidc | undefined;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeSlack> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const fake = new FakeSlack(server, `http://127.0.0.1:${port}/api/`);
    server.on('request', (req, res) => void fake.handle(req, res));
    return fake;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Serves Sign in with Slack for an app with this client id, secret and redirect URL. */
  signIn(clientId: string, clientSecret: string, redirectUrl: string): SlackOidc {
    this.oidc ??= new SlackOidc(new URL(this.url).origin, this.teamId);
    this.oidc.addApp(clientId, clientSecret, [redirectUrl]);
    return this.oidc;
  }

  addUser(id: string, user: FakeUser): void {
    this.users.set(id, user);
  }

  /** The next call(s) to `method` (with arguments that `match`) answer `{ok:false, error}`. */
  failNext(method: string, error: string, times = 1, match: ArgsMatch = () => true): void {
    for (let i = 0; i < times; i += 1) this.failures.push({ method, error, match });
  }

  /**
   * Holds the next call to `method` whose arguments `match` until `release()`: `arrived` resolves
   * once the app is waiting on it, so a test can change things meanwhile (a race, made to happen).
   */
  hold(method: string, match: ArgsMatch = () => true): { arrived: Promise<void>; release: () => void } {
    let arrived!: () => void;
    let release!: () => void;
    const arrival = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.holds.push({ method, match, arrived, released });
    return { arrived: arrival, release };
  }

  /** The next call(s) to `method` get an HTTP error: 503 (an outage), or 429 with Retry-After: 1. */
  failHttpNext(method: string, status: number, times = 1): void {
    this.httpFailures.set(method, [
      ...(this.httpFailures.get(method) ?? []),
      ...Array<number>(times).fill(status),
    ]);
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  clear(): void {
    this.calls.length = 0;
    this.rejected.length = 0;
  }

  /** Waits until `find` returns something from the recorded calls (the app works after acking). */
  async waitFor<T>(
    find: (calls: SlackCall[]) => T | undefined | null | false | Promise<T | undefined | null | false>,
    what = 'a Slack call',
    timeoutMs = 20_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await find(this.calls);
      if (found) return found;
      if (Date.now() > deadline) {
        const seen = this.calls.map((call) => call.method).join(', ');
        throw new Error(`Timed out waiting for ${what}; calls so far: ${seen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  waitForCall(
    method: string,
    match: (args: Record<string, unknown>) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<SlackCall> {
    return this.waitFor(
      (calls) => calls.find((call) => call.method === method && match(call.args)),
      method,
      timeoutMs,
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (this.oidc?.handles(path)) return this.oidc.handle(req, res, raw, path);
    if (!path.startsWith('/api/')) {
      // response_url and anything else: accepted and recorded.
      this.remember({ method: `POST ${path}`, args: safeParse(raw), response: { ok: true } });
      return send(res, { ok: true });
    }
    const method = path.slice('/api/'.length);
    const args = parseArgs(raw, req.headers['content-type'] ?? '');
    const outage = this.httpFailures.get(method)?.shift();
    if (outage) {
      this.remember({ method, args, response: { httpStatus: outage } });
      if (outage === 429) {
        // Slack's rate limit: HTTP 429, Retry-After in seconds, {"ok":false,"error":"ratelimited"}.
        res
          .writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' })
          .end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      res.writeHead(outage, { 'content-type': 'text/plain' }).end('Service Unavailable');
      return;
    }
    const held = this.holds.findIndex((hold) => hold.method === method && hold.match(args));
    if (held >= 0) {
      const [hold] = this.holds.splice(held, 1);
      hold!.arrived();
      await hold!.released;
    }
    const response = this.answer(method, args, req.headers.authorization);
    const call = { method, args, response };
    this.remember(call);
    send(res, response);
  }

  private remember(call: SlackCall): void {
    if (this.record) this.calls.push(call);
  }

  private answer(
    method: string,
    args: Record<string, unknown>,
    authorization: string | undefined,
  ): Record<string, unknown> {
    if (method === 'apps.connections.open') {
      // Socket Mode: called with the app-level token, not the bot token.
      if (!authorization?.startsWith('Bearer xapp-')) return { ok: false, error: 'not_allowed_token_type' };
      return this.socketUrl ? { ok: true, url: this.socketUrl } : { ok: false, error: 'internal_error' };
    }
    if (!authorization?.startsWith('Bearer xox')) return { ok: false, error: 'not_authed' };
    const failing = this.failures.findIndex((failure) => failure.method === method && failure.match(args));
    if (failing >= 0) return { ok: false, error: this.failures.splice(failing, 1)[0]!.error };
    const invalid = (problems: string[], error: string) => {
      const response = { ok: false, error, response_metadata: { messages: problems } };
      this.rejected.push({ method, args, response });
      return response;
    };
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://ticketbot-test.slack.com/',
          team: 'ticketbot test',
          user: 'ticketbot',
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: this.botId,
        };
      case 'chat.postMessage':
      case 'chat.update':
      case 'chat.postEphemeral': {
        const channel = String(args.channel ?? '');
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (args.text === undefined && args.blocks === undefined) return { ok: false, error: 'no_text' };
        if (args.blocks !== undefined) {
          const problems = validateBlocks(args.blocks, 'message');
          if (problems.length > 0) return invalid(problems, 'invalid_blocks');
        }
        if (method === 'chat.postEphemeral') return { ok: true, message_ts: this.nextTs() };
        if (method === 'chat.update') return { ok: true, channel, ts: args.ts, text: args.text ?? '' };
        if (this.channelsWithoutBot.has(channel)) return { ok: false, error: 'not_in_channel' };
        const ts = this.nextTs();
        return {
          ok: true,
          channel,
          ts,
          message: {
            type: 'message',
            text: args.text ?? '',
            user: this.botUserId,
            bot_id: this.botId,
            ts,
            blocks: args.blocks,
          },
        };
      }
      case 'chat.getPermalink':
        return {
          ok: true,
          channel: args.channel,
          permalink: `https://ticketbot-test.slack.com/archives/${String(args.channel)}/p${String(args.message_ts).replace('.', '')}`,
        };
      case 'conversations.open':
        return { ok: true, channel: { id: `D${String(args.users ?? '').slice(1)}` } };
      case 'users.info': {
        const id = String(args.user ?? '');
        if (!/^[UW][A-Z0-9]+$/.test(id)) return { ok: false, error: 'user_not_found' };
        return {
          ok: true,
          user: this.userObject(id, args.include_locale === true || args.include_locale === 'true'),
        };
      }
      case 'views.open':
      case 'views.update':
      case 'views.publish': {
        if (method === 'views.open' && !args.trigger_id) return { ok: false, error: 'invalid_trigger_id' };
        if (method === 'views.publish' && !args.user_id) return { ok: false, error: 'user_not_found' };
        const problems = validateView(args.view);
        if (problems.length > 0) return invalid(problems, 'invalid_arguments');
        this.viewCounter += 1;
        const id =
          typeof args.view_id === 'string' ? args.view_id : `V${String(this.viewCounter).padStart(9, '0')}`;
        return {
          ok: true,
          view: {
            ...(args.view as object),
            id,
            hash: `${Date.now()}.${this.viewCounter}`,
            team_id: this.teamId,
          },
        };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private userObject(id: string, includeLocale: boolean): Record<string, unknown> {
    const known = this.users.get(id) ?? {};
    const name = known.name ?? id.toLowerCase();
    return {
      id,
      team_id: this.teamId,
      name,
      deleted: false,
      real_name: known.realName ?? name,
      tz: known.tz ?? 'Europe/Paris',
      tz_offset: 3600,
      is_bot: known.isBot ?? false,
      is_app_user: false,
      ...(includeLocale ? { locale: known.locale ?? 'en-US' } : {}),
      profile: {
        display_name: known.name ?? name,
        real_name: known.realName ?? name,
        email: known.email ?? `${name}@example.com`,
      },
    };
  }

  private nextTs(): string {
    this.tsCounter += 1;
    return `1700000000.${String(this.tsCounter).padStart(6, '0')}`;
  }
}

function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.startsWith('application/json')) return safeParse(raw);
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = JSON_ARGS.has(key) ? safeParse(value) : value;
  }
  return args;
}

function safeParse(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { raw: text };
  }
}

function send(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
