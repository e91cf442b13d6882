import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateBlocks, validateView } from './slackBlockKit.js';
import { SlackOidc } from './slackOidc.js';

// A test Slack: an HTTP server on 127.0.0.1 that answers the Web API methods ticketbot uses the
// way Slack does (response shapes from test/fixtures/slack/payloads/web-api-responses/),
// records every call, and refuses blocks and views the way Slack does: by surface (what a message,
// a modal or a Home tab may hold) and by Block Kit's limits (slackBlockKit.ts).

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** What the test Slack answered. */
  response: Record<string, unknown>;
}

export interface FakeUser {
  name?: string;
  realName?: string;
  /**
   * null: the profile has no `email` field, as Slack sends it for bots, and for everyone when the
   * app lacks the users:read.email scope (https://api.slack.com/scopes/users:read.email; fields a
   * person has not supplied "may not be present at all", https://docs.slack.dev/reference/methods/users.info).
   */
  email?: string | null;
  locale?: string;
  tz?: string;
  isBot?: boolean;
}

type ArgsMatch = (args: Record<string, unknown>) => boolean;

/**
 * A message as conversations.history and conversations.replies return it: the bot's own (with
 * bot_id and app_id), or a person's (postAs). A thread's parent and replies carry `thread_ts`.
 */
export interface StoredMessage {
  type: 'message';
  user: string;
  bot_id?: string;
  app_id?: string;
  text: string;
  ts: string;
  team: string;
  thread_ts?: string;
  blocks?: unknown;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

/**
 * Slack's Web API rate limits, as the test Slack enforces them once `enforceRateLimits()` is called.
 * Each limit is a token bucket: `perMinute` calls a minute on average, `burst` at once.
 *
 * - Limits are counted "per API method per workspace/team per app"; Tier 3 is "50+ per minute",
 *   Tier 4 "100+ per minute" (https://api.slack.com/docs/rate-limits,
 *   https://docs.slack.dev/apis/web-api/rate-limits).
 * - chat.postMessage is special: "1 message per second to a specific channel", "short bursts >1
 *   allowed", and a workspace-wide cap of "several hundred messages per minute"
 *   (https://api.slack.com/docs/rate-limits).
 * - Which method is in which tier: java-slack-sdk's metadata/web-api/rate_limit_tiers.json
 *   (https://github.com/slackapi/java-slack-sdk/blob/main/metadata/web-api/rate_limit_tiers.json);
 *   views.open is Tier 4 also at https://api.slack.com/methods/views.open.
 * - Over a limit Slack answers HTTP 429 with `Retry-After` (seconds) and
 *   `{"ok":false,"error":"ratelimited"}` (https://api.slack.com/docs/rate-limits, as quoted in
 *   https://github.com/os/slacker/issues/40).
 *
 * The burst sizes are not published; those below are small, so the test Slack is at least as strict
 * as Slack.
 */
export interface RateLimits {
  /** chat.postMessage, per channel: 1 a second, a short burst allowed. */
  postMessagePerChannel: { perMinute: number; burst: number };
  /** chat.postMessage over the whole workspace ("several hundred messages per minute"). */
  postMessagePerWorkspace: { perMinute: number; burst: number };
  tier3: { perMinute: number; burst: number };
  tier4: { perMinute: number; burst: number };
}

export const SLACK_RATE_LIMITS: RateLimits = {
  postMessagePerChannel: { perMinute: 60, burst: 3 },
  postMessagePerWorkspace: { perMinute: 300, burst: 30 },
  tier3: { perMinute: 50, burst: 10 },
  tier4: { perMinute: 100, burst: 20 },
};

/** The tier of each rate-limited method ticketbot calls (rate_limit_tiers.json, cited above). */
const METHOD_TIERS: Record<string, 'tier3' | 'tier4'> = {
  'chat.update': 'tier3',
  'chat.delete': 'tier3',
  'conversations.open': 'tier3',
  'conversations.history': 'tier3',
  'conversations.replies': 'tier3',
  'conversations.info': 'tier3',
  'users.lookupByEmail': 'tier3',
  'chat.postEphemeral': 'tier4',
  'views.open': 'tier4',
  'views.update': 'tier4',
  'views.push': 'tier4',
  'views.publish': 'tier4',
  'users.info': 'tier4',
};

interface Bucket {
  tokens: number;
  at: number;
}

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
  /**
   * The channels the workspace has, for conversations.info: whether each is private. A channel not
   * here is `channel_not_found` (as a private channel the bot is not in is to it).
   */
  readonly channels = new Map<string, { name: string; isPrivate: boolean }>();
  /** The `*:read` scopes the app was installed with (those manifest.yml asks for), for conversations.info. */
  readonly readScopes = new Set(['channels:read', 'groups:read']);
  private readonly httpFailures = new Map<string, number[]>();
  private readonly outages: Array<{ method: string; match: ArgsMatch }> = [];
  private readonly failures: Array<{ method: string; error: string; match: ArgsMatch }> = [];
  private readonly holds: Array<{
    method: string;
    match: ArgsMatch;
    arrived: () => void;
    released: Promise<void>;
  }> = [];
  private tsCounter = 0;
  private viewCounter = 0;
  /** Each open modal's current hash (views.open, views.update), for views.update's hash check. */
  private readonly viewHashes = new Map<string, string>();
  /** Top-level messages each channel holds, oldest first, as conversations.history returns them. */
  private readonly channelHistory = new Map<string, StoredMessage[]>();
  /** The replies of each thread (`channel:thread_ts`), oldest first (conversations.replies). */
  private readonly threadReplies = new Map<string, StoredMessage[]>();
  private readonly lostAnswers: Array<{ method: string; match: ArgsMatch }> = [];
  /**
   * The history scopes the app was installed with: those manifest.yml asks for. A DM's history
   * takes `im:history` (https://docs.slack.dev/reference/methods/conversations.history).
   */
  readonly historyScopes = new Set(['channels:history', 'groups:history', 'im:history']);
  /** Every Web API method down (see down()): how it fails, and when a hang ends. */
  private downMode: { mode: 'error' } | { mode: 'hang'; over: Promise<void> } | undefined;
  private endHang: (() => void) | undefined;
  record = true;
  /**
   * Called with every call the test Slack answers or refuses, with the time it answered, recording
   * or not (the benchmarks' Slack keeps what it needs through it, without growing `calls`).
   */
  onCall: ((call: SlackCall, at: number) => void) | undefined;
  /** Calls that reached each Web API method (answered or refused), counted even when not recording. */
  readonly callsByMethod = new Map<string, number>();
  /** HTTP 429s the rate limits gave, per method (see enforceRateLimits). */
  readonly ratelimitedByMethod = new Map<string, number>();
  private limits: RateLimits | undefined;
  private readonly buckets = new Map<string, Bucket>();
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

  /** A channel of the workspace, public or private, that conversations.info knows. */
  addChannel(id: string, channel: { name?: string; isPrivate: boolean }): void {
    this.channels.set(id, { name: channel.name ?? id.toLowerCase(), isPrivate: channel.isPrivate });
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

  /**
   * The next call to `method` (with arguments that `match`) is carried out (a message is stored,
   * the call recorded) but its answer never arrives: the connection drops, as when a network
   * fault or a timeout loses Slack's answer after Slack did the work.
   */
  loseAnswerNext(method: string, match: ArgsMatch = () => true): void {
    this.lostAnswers.push({ method, match });
  }

  /**
   * Slack down for every Web API method until the returned function is called (`up`):
   * - `error`: each call is answered HTTP 500 with Slack's HTML error page, as Slack's edge
   *   answered during an incident ("Received a response in a non-JSON format: <!DOCTYPE html>…
   *   <title>Server Error | Slack</title>", status 504, content-type text/html:
   *   https://github.com/apache/airflow/discussions/35018). Nothing is done.
   * - `hang`: each call is held without an answer until Slack is back; then it is carried out
   *   (a message is stored, the call recorded), though the app gave up waiting long before: the
   *   worst case for a post, which landed while its sender saw only a timeout.
   */
  down(mode: 'error' | 'hang'): () => void {
    if (mode === 'hang') {
      const over = new Promise<void>((resolve) => {
        this.endHang = resolve;
      });
      this.downMode = { mode, over };
    } else this.downMode = { mode };
    return () => {
      this.downMode = undefined;
      this.endHang?.();
      this.endHang = undefined;
    };
  }

  /** Replies in the thread of `threadTs` in `channel`, oldest first (what conversations.replies reads). */
  repliesIn(channel: string, threadTs: string): StoredMessage[] {
    return [...(this.threadReplies.get(`${channel}:${threadTs}`) ?? [])];
  }

  /** The top-level messages in `channel`, oldest first (what conversations.history reads). */
  messagesIn(channel: string): StoredMessage[] {
    return [...(this.channelHistory.get(channel) ?? [])];
  }

  /**
   * Until the returned function is called, calls to `method` whose arguments `match` get HTTP 503
   * (Slack down for them), however often the app tries.
   */
  outage(method: string, match: ArgsMatch = () => true): () => void {
    const outage = { method, match };
    this.outages.push(outage);
    return () => {
      const index = this.outages.indexOf(outage);
      if (index >= 0) this.outages.splice(index, 1);
    };
  }

  /**
   * From now on, calls over Slack's rate limits (SLACK_RATE_LIMITS, or `limits`) are answered
   * HTTP 429 with Retry-After, as Slack does. Off by default.
   */
  enforceRateLimits(limits: Partial<RateLimits> = {}): void {
    this.limits = { ...SLACK_RATE_LIMITS, ...limits };
    this.buckets.clear();
  }

  /** Back to no rate limits (as by default). */
  stopRateLimits(): void {
    this.limits = undefined;
    this.buckets.clear();
  }

  /** HTTP 429s given by the rate limits, over all methods. */
  get ratelimited(): number {
    let total = 0;
    for (const count of this.ratelimitedByMethod.values()) total += count;
    return total;
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
    this.callsByMethod.set(method, (this.callsByMethod.get(method) ?? 0) + 1);
    const retryAfter = this.overLimit(method, args);
    if (retryAfter !== undefined) {
      this.ratelimitedByMethod.set(method, (this.ratelimitedByMethod.get(method) ?? 0) + 1);
      this.remember({ method, args, response: { httpStatus: 429, retryAfter } });
      res
        .writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfter) })
        .end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    const down = this.downMode;
    if (down?.mode === 'error') {
      this.remember({ method, args, response: { httpStatus: 500 } });
      res
        .writeHead(500, { 'content-type': 'text/html; charset=utf-8' })
        .end(
          '<!DOCTYPE html>\n<html lang="en">\n<head>\n\t<meta charset="utf-8">\n\t<title>Server Error | Slack</title>\n</head>\n<body></body>\n</html>\n',
        );
      return;
    }
    if (down?.mode === 'hang') {
      await down.over;
      // Slack is back: the held call is carried out now, answered or not (the app may be gone).
    }
    const outage =
      this.httpFailures.get(method)?.shift() ??
      (this.outages.some((down) => down.method === method && down.match(args)) ? 503 : undefined);
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
    const lost = this.lostAnswers.findIndex((rule) => rule.method === method && rule.match(args));
    if (lost >= 0) {
      this.lostAnswers.splice(lost, 1);
      res.socket?.destroy();
      return;
    }
    send(res, response);
  }

  /**
   * With the rate limits on: undefined if `method` may be called now (a token is taken from each
   * bucket it counts against), else the seconds until it may (Retry-After, a whole number).
   */
  private overLimit(method: string, args: Record<string, unknown>): number | undefined {
    const limits = this.limits;
    if (!limits) return undefined;
    const buckets: Array<[string, { perMinute: number; burst: number }]> = [];
    if (method === 'chat.postMessage') {
      buckets.push([`chat.postMessage:${String(args.channel ?? '')}`, limits.postMessagePerChannel]);
      buckets.push(['chat.postMessage', limits.postMessagePerWorkspace]);
    } else {
      const tier = METHOD_TIERS[method];
      if (!tier) return undefined;
      buckets.push([method, limits[tier]]);
    }
    const now = Date.now();
    let waitMs = 0;
    const filled = buckets.map(([key, limit]) => {
      const bucket = this.buckets.get(key) ?? { tokens: limit.burst, at: now };
      const perMs = limit.perMinute / 60_000;
      bucket.tokens = Math.min(limit.burst, bucket.tokens + (now - bucket.at) * perMs);
      bucket.at = now;
      this.buckets.set(key, bucket);
      if (bucket.tokens < 1) waitMs = Math.max(waitMs, (1 - bucket.tokens) / perMs);
      return bucket;
    });
    if (waitMs > 0) return Math.max(1, Math.ceil(waitMs / 1000));
    for (const bucket of filled) bucket.tokens -= 1;
    return undefined;
  }

  private remember(call: SlackCall): void {
    this.onCall?.(call, Date.now());
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
    // Slack's refusal of bad blocks: `invalid_blocks` from the chat methods, with the problems in
    // `errors` (https://github.com/slackapi/java-slack-sdk/issues/1017) and, prefixed "[ERROR] ", in
    // response_metadata.messages (https://github.com/metabase/metabase/issues/74943); a bad view is
    // `invalid_arguments` with the same messages ("[ERROR] must be a boolean
    // [json-pointer:/view/blocks/2/dispatch_action]", https://github.com/nicklambourne/slackblocks/issues/58).
    const invalid = (problems: string[], error: 'invalid_blocks' | 'invalid_arguments') => {
      const messages = problems.map((problem) => `[ERROR] ${problem}`);
      const response =
        error === 'invalid_blocks'
          ? { ok: false, error, errors: problems, response_metadata: { messages } }
          : { ok: false, error, response_metadata: { messages } };
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
        if (args.metadata !== undefined && !isMetadata(args.metadata)) {
          // `invalid_metadata_format` ("Invalid metadata format provided",
          // https://docs.slack.dev/reference/methods/chat.postMessage, Errors); metadata is
          // {event_type, event_payload} (https://docs.slack.dev/messaging/message-metadata/).
          return { ok: false, error: 'invalid_metadata_format' };
        }
        if (method === 'chat.postEphemeral') return { ok: true, message_ts: this.nextTs() };
        if (method === 'chat.update') {
          this.updateStored(channel, String(args.ts ?? ''), args);
          return { ok: true, channel, ts: args.ts, text: args.text ?? '' };
        }
        if (this.channelsWithoutBot.has(channel)) return { ok: false, error: 'not_in_channel' };
        const ts = this.nextTs();
        // Thread replies are not in the channel's history (only in conversations.replies), unless
        // broadcast to the channel.
        if (
          args.thread_ts === undefined ||
          args.reply_broadcast === true ||
          args.reply_broadcast === 'true'
        ) {
          this.store(channel, ts, args);
        }
        if (args.thread_ts !== undefined)
          this.storeReply(channel, String(args.thread_ts), this.botMessage(ts, args));
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
      case 'conversations.history':
        return this.history(args);
      case 'conversations.replies':
        return this.replies(args);
      case 'conversations.info':
        return this.conversationInfo(args);
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
      case 'views.push':
      case 'views.update':
      case 'views.publish': {
        if ((method === 'views.open' || method === 'views.push') && !args.trigger_id)
          return { ok: false, error: 'invalid_trigger_id' };
        if (method === 'views.publish' && !args.user_id) return { ok: false, error: 'user_not_found' };
        const problems = validateView(args.view, method === 'views.publish' ? 'home' : 'modal');
        if (problems.length > 0) return invalid(problems, 'invalid_arguments');
        // views.update's `hash` "protect[s] against possible race conditions": a view updated
        // with a hash it no longer has is refused with `hash_conflict`
        // (https://docs.slack.dev/reference/methods/views.update/, Arguments and Errors).
        if (method === 'views.update' && typeof args.view_id === 'string' && args.hash !== undefined) {
          const current = this.viewHashes.get(args.view_id);
          if (current !== undefined && current !== args.hash) return { ok: false, error: 'hash_conflict' };
        }
        this.viewCounter += 1;
        const id =
          typeof args.view_id === 'string' ? args.view_id : `V${String(this.viewCounter).padStart(9, '0')}`;
        const hash = `${Date.now()}.${this.viewCounter}`;
        if (method !== 'views.publish') this.viewHashes.set(id, hash);
        return {
          ok: true,
          view: {
            ...(args.view as object),
            id,
            hash,
            team_id: this.teamId,
          },
        };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  /**
   * conversations.info as https://docs.slack.dev/reference/methods/conversations.info describes
   * it: `{ok, channel}` with the conversation object
   * (https://docs.slack.dev/reference/objects/conversation-object: id, name, is_channel,
   * is_group, is_im, is_private, is_archived, is_member…); `channel_not_found` for a channel
   * unknown (or private without the bot); a public channel takes `channels:read`, a private one
   * `groups:read`, else `missing_scope`.
   */
  private conversationInfo(args: Record<string, unknown>): Record<string, unknown> {
    const id = String(args.channel ?? '');
    const channel = this.channels.get(id);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const needed = channel.isPrivate ? 'groups:read' : 'channels:read';
    if (!this.readScopes.has(needed))
      return { ok: false, error: 'missing_scope', needed, provided: [...this.readScopes].join(',') };
    return {
      ok: true,
      channel: {
        id,
        name: channel.name,
        is_channel: !channel.isPrivate,
        is_group: channel.isPrivate,
        is_im: false,
        is_mpim: false,
        is_private: channel.isPrivate,
        is_archived: false,
        is_general: false,
        is_member: !this.channelsWithoutBot.has(id),
        created: 1449252889,
      },
    };
  }

  private botMessage(ts: string, args: Record<string, unknown>): StoredMessage {
    return {
      type: 'message',
      user: this.botUserId,
      bot_id: this.botId,
      app_id: 'A0TICKETBOT',
      text: String(args.text ?? ''),
      ts,
      team: this.teamId,
      ...(args.thread_ts !== undefined ? { thread_ts: String(args.thread_ts) } : {}),
      ...(args.blocks !== undefined ? { blocks: args.blocks } : {}),
      ...(args.metadata !== undefined ? { metadata: args.metadata as StoredMessage['metadata'] } : {}),
    };
  }

  private store(channel: string, ts: string, args: Record<string, unknown>): void {
    // Not recording (the benchmark): no history kept either, or it would grow without end.
    if (!this.record) return;
    const messages = this.channelHistory.get(channel) ?? [];
    const { thread_ts: _thread, ...message } = this.botMessage(ts, args);
    messages.push(message);
    this.channelHistory.set(channel, messages);
  }

  private storeReply(channel: string, threadTs: string, message: StoredMessage): void {
    if (!this.record) return;
    const key = `${channel}:${threadTs}`;
    this.threadReplies.set(key, [...(this.threadReplies.get(key) ?? []), message]);
    const parent = this.channelHistory.get(channel)?.find((stored) => stored.ts === threadTs);
    if (parent) parent.thread_ts = threadTs;
  }

  /**
   * A person posts `text` in `channel` (in the thread of `threadTs`, if given), as Slack stores a
   * message a person wrote (https://docs.slack.dev/reference/events/message/): `user`, `text`,
   * `ts`, no bot_id. Returns its ts. The app is not told (send the event yourself if it should be).
   */
  postAs(user: string, channel: string, text: string, threadTs?: string): string {
    const ts = this.nextTs();
    const message: StoredMessage = { type: 'message', user, text, ts, team: this.teamId };
    if (threadTs === undefined) {
      this.channelHistory.set(channel, [...(this.channelHistory.get(channel) ?? []), message]);
    } else {
      this.storeReply(channel, threadTs, { ...message, thread_ts: threadTs });
    }
    return ts;
  }

  private updateStored(channel: string, ts: string, args: Record<string, unknown>): void {
    const message = this.channelHistory.get(channel)?.find((stored) => stored.ts === ts);
    if (!message) return;
    if (args.text !== undefined) message.text = String(args.text);
    if (args.blocks !== undefined) message.blocks = args.blocks;
    if (args.metadata !== undefined) message.metadata = args.metadata as StoredMessage['metadata'];
  }

  /**
   * conversations.history as https://docs.slack.dev/reference/methods/conversations.history
   * describes it: newest first; `oldest` (default 0) and `latest` (default now) bound the range,
   * exclusive unless `inclusive`; `limit` defaults to 100 (at most 999 for internal apps);
   * `has_more` and `response_metadata.next_cursor` page on; metadata only with
   * `include_all_metadata`. The bot reads conversations it is a member of, with the matching
   * `*:history` scope, else `not_in_channel` / `missing_scope`.
   */
  private history(args: Record<string, unknown>): Record<string, unknown> {
    const channel = String(args.channel ?? '');
    if (!/^[CGD][A-Z0-9]+$/.test(channel)) return { ok: false, error: 'channel_not_found' };
    const needed = channel.startsWith('D')
      ? 'im:history'
      : channel.startsWith('G')
        ? 'groups:history'
        : 'channels:history';
    if (!this.historyScopes.has(needed)) {
      return { ok: false, error: 'missing_scope', needed, provided: [...this.historyScopes].join(',') };
    }
    if (this.channelsWithoutBot.has(channel)) return { ok: false, error: 'not_in_channel' };
    const flag = (value: unknown) => value === true || value === 'true' || value === '1';
    const bound = (value: unknown) =>
      value === undefined || value === '' ? undefined : tsValue(String(value));
    const oldest = bound(args.oldest);
    const latest = bound(args.latest);
    if (oldest === null) return { ok: false, error: 'invalid_ts_oldest' };
    if (latest === null) return { ok: false, error: 'invalid_ts_latest' };
    const inclusive = flag(args.inclusive);
    let cursorTs: bigint | undefined;
    if (args.cursor !== undefined && args.cursor !== '') {
      const decoded = /^next_ts:(\d+)$/.exec(Buffer.from(String(args.cursor), 'base64').toString('utf8'));
      if (!decoded) return { ok: false, error: 'invalid_cursor' };
      cursorTs = BigInt(decoded[1]!);
    }
    const limit = Math.min(Math.max(Number(args.limit ?? 100) || 100, 1), 999);
    const inRange = [...(this.channelHistory.get(channel) ?? [])].reverse().filter((message) => {
      const at = tsValue(message.ts)!;
      if (oldest !== undefined && (inclusive ? at < oldest : at <= oldest)) return false;
      if (latest !== undefined && (inclusive ? at > latest : at >= latest)) return false;
      return cursorTs === undefined || at <= cursorTs;
    });
    const page = inRange.slice(0, limit);
    const next = inRange[limit];
    const withMetadata = flag(args.include_all_metadata);
    return {
      ok: true,
      messages: page.map(({ metadata, ...message }) =>
        withMetadata && metadata ? { ...message, metadata } : message,
      ),
      has_more: next !== undefined,
      pin_count: 0,
      ...(args.latest !== undefined ? { latest: String(args.latest) } : {}),
      ...(next
        ? {
            response_metadata: {
              next_cursor: Buffer.from(`next_ts:${tsValue(next.ts)!.toString()}`).toString('base64'),
            },
          }
        : {}),
    };
  }

  /**
   * conversations.replies as https://docs.slack.dev/reference/methods/conversations.replies
   * describes it: `channel` and `ts` ("either a thread's parent message or a message in the
   * thread") required; the parent first, then its replies oldest first; `limit` (default and at
   * most 1000 here) and a cursor page on; metadata only with `include_all_metadata`. Reading takes
   * membership and the `*:history` scope, as for conversations.history; an unknown ts is
   * `thread_not_found`.
   */
  private replies(args: Record<string, unknown>): Record<string, unknown> {
    const channel = String(args.channel ?? '');
    if (!/^[CGD][A-Z0-9]+$/.test(channel)) return { ok: false, error: 'channel_not_found' };
    const needed = channel.startsWith('D')
      ? 'im:history'
      : channel.startsWith('G')
        ? 'groups:history'
        : 'channels:history';
    if (!this.historyScopes.has(needed)) {
      return { ok: false, error: 'missing_scope', needed, provided: [...this.historyScopes].join(',') };
    }
    if (this.channelsWithoutBot.has(channel)) return { ok: false, error: 'not_in_channel' };
    const ts = String(args.ts ?? '');
    if (!ts) return { ok: false, error: 'invalid_arguments' };
    let threadTs = ts;
    if (!this.threadReplies.has(`${channel}:${ts}`)) {
      for (const [key, replies] of this.threadReplies) {
        if (key.startsWith(`${channel}:`) && replies.some((reply) => reply.ts === ts)) {
          threadTs = key.slice(channel.length + 1);
          break;
        }
      }
    }
    const parent = this.channelHistory.get(channel)?.find((stored) => stored.ts === threadTs);
    const replies = this.threadReplies.get(`${channel}:${threadTs}`) ?? [];
    if (!parent && replies.length === 0) return { ok: false, error: 'thread_not_found' };
    const all = [...(parent ? [parent] : []), ...replies];
    const offset =
      args.cursor !== undefined && args.cursor !== ''
        ? Number(/^offset:(\d+)$/.exec(Buffer.from(String(args.cursor), 'base64').toString('utf8'))?.[1])
        : 0;
    if (!Number.isInteger(offset)) return { ok: false, error: 'invalid_cursor' };
    const limit = Math.min(Math.max(Number(args.limit ?? 1000) || 1000, 1), 1000);
    const page = all.slice(offset, offset + limit);
    const more = offset + limit < all.length;
    const flag = (value: unknown) => value === true || value === 'true' || value === '1';
    const withMetadata = flag(args.include_all_metadata);
    return {
      ok: true,
      messages: page.map(({ metadata, ...message }) =>
        withMetadata && metadata ? { ...message, metadata } : message,
      ),
      has_more: more,
      ...(more
        ? {
            response_metadata: {
              next_cursor: Buffer.from(`offset:${offset + limit}`).toString('base64'),
            },
          }
        : {}),
    };
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
        ...(known.email === null
          ? {}
          : { email: known.email ?? `${name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}@example.com` }),
      },
    };
  }

  /** Slack's message ts is the posting time in seconds, unique in its channel by the microseconds part. */
  private nextTs(): string {
    this.tsCounter += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.tsCounter).padStart(6, '0')}`;
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

/** A message ts (`1712345678.000123`) as microseconds, comparable; null if it is not one. */
function tsValue(ts: string): bigint | null {
  const parts = /^(\d+)(?:\.(\d{1,6}))?$/.exec(ts);
  if (!parts) return null;
  return BigInt(parts[1]!) * 1_000_000n + BigInt((parts[2] ?? '').padEnd(6, '0'));
}

function isMetadata(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { event_type: type, event_payload: payload } = value as Record<string, unknown>;
  return typeof type === 'string' && type !== '' && typeof payload === 'object' && payload !== null;
}
