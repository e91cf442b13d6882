/**
 * Work owed to Slack, paced by Slack's answers. Slack limits each Web API method on its own
 * ("per API method per workspace/team per app"), and chat.postMessage per channel ("1 message
 * per second to a specific channel", short bursts allowed); over a limit it answers HTTP 429
 * with `Retry-After` in seconds and `{"ok":false,"error":"ratelimited"}`
 * (https://api.slack.com/docs/rate-limits, https://docs.slack.dev/apis/web-api/rate-limits).
 *
 * @slack/web-api, left to itself, pauses its whole request queue on any 429: a rate-limited
 * chat.update would hold back every views.publish and DM. So the pacer sits in the client's
 * `fetch`, below its queue: calls wait in one queue per method (per method and channel for
 * chat.postMessage), and start in the order they came: messages to one channel one at a time (so
 * they land in order), other methods a few at once (so one slow call does not hold the others).
 * A 429 stops only that queue for Retry-After, and the call is sent again. A 429 means Slack did nothing (the same call again
 * is safe, even a new card's post). The client never sees the 429, except for the methods given
 * as `passThrough`: views.open answers a trigger_id that expires three seconds after the click
 * ("Pass a valid trigger_id within 3 seconds of receiving it",
 * https://docs.slack.dev/tools/bolt-js/concepts/creating-modals), so waiting
 * it out would only fail later; its 429 goes back at once, for the caller to answer the person.
 */

import { AsyncLocalStorage } from 'node:async_hooks';

type Fetch = typeof fetch;

/**
 * A check made right before each request of the calls made within `guardedSends` is sent (after
 * any wait in its queue): throwing stops that request from being sent at all.
 */
const sendGuards = new AsyncLocalStorage<() => void>();

/**
 * Runs `work` with `guard` called just before each Web API request it makes leaves this process.
 * A new card's post uses it: the post may wait long for Slack's rate limit, and is sent only if
 * its lease is still held then (src/slack/cardLeases.ts).
 */
export function guardedSends<T>(guard: () => void, work: () => Promise<T>): Promise<T> {
  return sendGuards.run(guard, work);
}

export interface PacerOptions {
  /** Methods whose 429 is handed back at once instead of waited out. */
  passThrough?: readonly string[];
  /** The timeout of each request once it is sent (time waiting in the queue does not count). */
  requestTimeoutMs?: number;
  /** Called on each 429 received (the method, and Slack's Retry-After in seconds). */
  onRateLimited?: (method: string, retryAfterS: number, key: string) => void;
}

/** Slack's Retry-After when absent or unreadable: a minute, the window its tiers count in. */
const DEFAULT_RETRY_AFTER_S = 60;

/** Calls of one method (other than chat.postMessage) in flight at once. */
const METHOD_CONCURRENCY = 8;

interface Lane {
  /** Calls waiting for their turn, oldest first. */
  waiting: Array<() => void>;
  running: number;
  limit: number;
  /** Not before this time (ms) may the next call go (after a 429). */
  notBefore: number;
}

export class SlackPacer {
  private readonly lanes = new Map<string, Lane>();
  private readonly passThrough: Set<string>;
  private readonly requestTimeoutMs: number;
  private readonly onRateLimited?: PacerOptions['onRateLimited'];
  /** 429s received, per method. */
  readonly ratelimited = new Map<string, number>();

  constructor(options: PacerOptions = {}) {
    this.passThrough = new Set(options.passThrough ?? []);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 20_000;
    this.onRateLimited = options.onRateLimited;
  }

  /** How many calls wait (or run) for `key` (a method, or `chat.postMessage:<channel>`). */
  waiting(key: string): number {
    const lane = this.lanes.get(key);
    return lane ? lane.waiting.length + lane.running : 0;
  }

  /** `fetch`, paced: what the Web API client is given. */
  wrap(inner: Fetch): Fetch {
    const paced = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
      if (input instanceof Request) return inner(input, init);
      const method = methodOf(String(input));
      if (!method) return inner(input, init);
      const key = laneKey(method, init.body);
      return this.enqueue(key, method === 'chat.postMessage' ? 1 : METHOD_CONCURRENCY, (lane) =>
        this.send(inner, input, init, method, key, lane),
      );
    };
    return paced as Fetch;
  }

  private async enqueue<T>(key: string, limit: number, run: (lane: Lane) => Promise<T>): Promise<T> {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { waiting: [], running: 0, limit, notBefore: 0 };
      this.lanes.set(key, lane);
    }
    if (lane.running >= lane.limit || lane.waiting.length > 0) {
      const turn = new Promise<void>((resolve) => lane.waiting.push(resolve));
      await turn;
    } else {
      lane.running += 1;
    }
    try {
      return await run(lane);
    } finally {
      const next = lane.waiting.shift();
      if (next) next();
      else {
        lane.running -= 1;
        if (lane.running === 0 && lane.notBefore <= Date.now() && this.lanes.get(key) === lane) {
          this.lanes.delete(key);
        }
      }
    }
  }

  private async send(
    inner: Fetch,
    input: string | URL,
    init: RequestInit,
    method: string,
    key: string,
    lane: Lane,
  ): Promise<Response> {
    for (;;) {
      const wait = lane.notBefore - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      sendGuards.getStore()?.();
      // The client's own timeout started when it queued the call; the wait is not the request's.
      const response = await inner(input, { ...init, signal: AbortSignal.timeout(this.requestTimeoutMs) });
      if (response.status !== 429) return response;
      const retryAfter = retryAfterSeconds(response.headers.get('retry-after'));
      lane.notBefore = Date.now() + retryAfter * 1000;
      this.ratelimited.set(method, (this.ratelimited.get(method) ?? 0) + 1);
      this.onRateLimited?.(method, retryAfter, key);
      if (this.passThrough.has(method)) return response;
    }
  }
}

/** `chat.postMessage` from `https://slack.com/api/chat.postMessage`. */
function methodOf(url: string): string | undefined {
  const match = /\/api\/([A-Za-z]+\.[A-Za-z.]+)(?:\?|$)/.exec(url);
  return match?.[1];
}

/** chat.postMessage is limited per channel; every other method per method. */
function laneKey(method: string, body: RequestInit['body']): string {
  if (method !== 'chat.postMessage') return method;
  const form =
    typeof body === 'string' ? new URLSearchParams(body) : body instanceof URLSearchParams ? body : undefined;
  return `${method}:${form?.get('channel') ?? ''}`;
}

function retryAfterSeconds(header: string | null): number {
  const seconds = Number(header);
  return header !== null && Number.isFinite(seconds) && seconds >= 0 ? seconds : DEFAULT_RETRY_AFTER_S;
}
