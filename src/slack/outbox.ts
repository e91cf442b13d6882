import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ErrorCode } from '@slack/web-api';
import type { Database } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { Background } from './background.js';
import { ClaimKeeper } from './claimKeeper.js';
import { isDmRefused, retryAfterOf, slackErrorOf } from './slackErrors.js';
import { deleteFinished, markFailed, releaseForRetry } from './store/claimRows.js';
import { claimDue, giveBack, markDone, type OutboxEntry, renewClaims } from './store/outbox.js';

/** The work being carried out, as a handler sees it. */
export interface OutboxWork {
  /** Marks what it posts (message metadata), so a later attempt can find it. */
  key: string;
  /** An earlier attempt may have reached Slack: look for what it posted before posting again. */
  unsure: boolean;
  /** When the work was written (what it posted cannot be older). */
  createdAt: Date;
}

/** Carries out one kind of work for a ticket; throws when Slack (or the database) failed it. */
export type OutboxHandler = (
  ticketId: number,
  payload: Record<string, unknown>,
  work: OutboxWork,
) => Promise<void>;

export interface OutboxRetry {
  /** Delay after the first failure; doubled after each further one, up to `maxMs`. */
  firstMs: number;
  maxMs: number;
}

/** 2 s, 4 s, 8 s … up to a minute: caught up within about a minute of Slack answering again. */
export const DEFAULT_OUTBOX_RETRY: OutboxRetry = { firstMs: 2_000, maxMs: 60_000 };
/** Failures that will not pass by themselves (a refusal that is not for good) get this many attempts. */
const MAX_ATTEMPTS = 10;
/** Work Slack keeps failing for this long (an outage of a day) is given up and logged. */
const GIVE_UP_AFTER_MS = 24 * 60 * 60 * 1000;
/** Done entries are kept this long, then deleted. */
const KEEP_DONE_MS = 24 * 60 * 60 * 1000;

/**
 * Slack's answers that only mean "not now". chat.postMessage's errors
 * (https://docs.slack.dev/reference/methods/chat.postMessage, "Errors"): `internal_error` and
 * `fatal_error` ("likely due to a transient issue on our end"), `service_unavailable`,
 * `request_timeout`, `ratelimited`, `team_added_to_org` ("intermittently unavailable until the
 * transition is complete"). An HTTP error (5xx), a timeout, a dropped connection and a 429 pass
 * too, and so does a database that cannot be reached.
 */
const PASSING = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
  'team_added_to_org',
]);

/**
 * Edits Slack will never allow: chat.update's `message_not_found`, `cant_update_message`,
 * `edit_window_closed` (https://docs.slack.dev/reference/methods/chat.update, "Errors").
 */
const EDIT_REFUSED = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);

function passes(error: unknown): boolean {
  const code = slackErrorOf(error);
  return code === undefined || PASSING.has(code);
}

function refusedForGood(error: unknown): boolean {
  const code = slackErrorOf(error);
  return isDmRefused(error) || (code !== undefined && EDIT_REFUSED.has(code));
}

/**
 * Whether Slack itself could not be reached or answered no API at all (an HTTP error such as a
 * 5xx, a timeout, a dropped connection, a 429 handed back), as opposed to one call refused: the
 * round stops there.
 */
function slackDown(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return (
    code === ErrorCode.HTTPError || code === ErrorCode.RequestError || code === ErrorCode.RateLimitedError
  );
}

type Outcome = 'done' | 'retry' | 'slack down';

/**
 * Everything ticketbot owes Slack after a committed ticket change, kept in the database
 * (slack_outbox) until Slack has taken it: written in the change's own transaction, carried out
 * right after the commit by the process that made it, one ticket's work in the order it was
 * written. While Slack fails (5xx, a timeout, a dropped connection, a 429 the pacer could not wait
 * out), the work waits with a growing delay; a refusal for good (a deactivated person, a message
 * gone) is logged and dropped. Each entry is held by one process at a time with a short claim its
 * heartbeat renews; when a process dies its claims run out and any replica's catch-up (or the next
 * process) takes the work over. An attempt after one that may have reached Slack looks for what it
 * would post first (src/slack/publisher.ts), so nothing is posted twice.
 */
export class SlackOutbox {
  /** This process, as claims name it. */
  readonly processId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly handlers = new Map<string, OutboxHandler>();
  private readonly keeper: ClaimKeeper;
  /**
   * Until then Slack is taken to be down (an attempt met a 5xx, a timeout, a dropped connection):
   * changes meanwhile leave their work to the catch-up, which tries one entry per round, instead
   * of each holding a background turn while its call waits to time out.
   */
  private slackDownUntil = 0;
  /**
   * The entries this process is working on now: the heartbeat renews only these. One whose outcome
   * could not be written (the database went away) is let go, so its claim runs out and a catch-up
   * takes it over, instead of being held for as long as this process lives.
   */
  private readonly holding = new Set<number>();

  constructor(
    private readonly db: Database,
    private readonly background: Background,
    private readonly logger: Logger,
    readonly claimMs: number,
    private readonly retry: OutboxRetry = DEFAULT_OUTBOX_RETRY,
  ) {
    this.keeper = new ClaimKeeper('Slack work', claimMs, this, background, logger);
  }

  on(kind: string, handler: OutboxHandler): void {
    this.handlers.set(kind, handler);
  }

  /** After a change that owes Slack work committed: carries out the ticket's due work now. */
  wake(ticketId: number): Promise<void> {
    if (Date.now() < this.slackDownUntil) return Promise.resolve();
    return this.background.runLatest(`outbox:${ticketId}`, 'slack outbox', () => this.drain(ticketId), {
      ticketId,
    });
  }

  /** Carries out what is due (of one ticket, or of any), in order; how many entries were done. */
  async drain(ticketId?: number, limit = 50): Promise<number> {
    const now = new Date();
    const entries = await claimDue(
      this.db,
      this.processId,
      new Date(now.getTime() + this.claimMs),
      now,
      limit,
      ticketId,
    );
    for (const entry of entries) this.holding.add(entry.id);
    try {
      return await this.carryOut(entries);
    } finally {
      for (const entry of entries) this.holding.delete(entry.id);
    }
  }

  private async carryOut(entries: OutboxEntry[]): Promise<number> {
    let done = 0;
    const held = new Set<number>();
    for (const [index, entry] of entries.entries()) {
      // A ticket whose earlier entry failed keeps its later ones for after it.
      if (held.has(entry.ticketId)) {
        await giveBack(this.db, entry.id, this.processId, new Date());
        continue;
      }
      const outcome = await this.attempt(entry);
      if (outcome === 'done') done += 1;
      else held.add(entry.ticketId);
      if (outcome === 'slack down') {
        // Slack is failing: the rest wait for the next round rather than a timeout each.
        for (const rest of entries.slice(index + 1))
          await giveBack(this.db, rest.id, this.processId, new Date());
        break;
      }
    }
    return done;
  }

  private async attempt(entry: OutboxEntry): Promise<Outcome> {
    const fields = { outboxId: entry.id, ticketId: entry.ticketId, kind: entry.kind };
    const handler = this.handlers.get(entry.kind);
    if (!handler) {
      await markFailed(this.db, 'slack_outbox', entry.id, entry.attempts, `no handler for ${entry.kind}`);
      this.logger.error(fields, 'Slack work of an unknown kind given up');
      return 'done';
    }
    try {
      await handler(entry.ticketId, entry.payload, {
        key: `outbox:${entry.id}`,
        unsure: entry.unsure,
        createdAt: entry.createdAt,
      });
      await markDone(this.db, entry.id, new Date());
      this.slackDownUntil = 0;
      return 'done';
    } catch (error) {
      const attempts = entry.attempts + 1;
      if (refusedForGood(error)) {
        this.logger.warn({ ...fields, err: error }, 'Slack refused this for good; it is dropped');
        await markFailed(this.db, 'slack_outbox', entry.id, attempts, `refused: ${slackErrorOf(error)}`);
        return 'done';
      }
      const passing = passes(error);
      if (
        (!passing && attempts >= MAX_ATTEMPTS) ||
        Date.now() - entry.createdAt.getTime() > GIVE_UP_AFTER_MS
      ) {
        this.logger.error(
          { ...fields, err: error, attempts },
          'Slack work given up after every attempt failed',
        );
        await markFailed(
          this.db,
          'slack_outbox',
          entry.id,
          attempts,
          error instanceof Error ? error.message : String(error),
        );
        return 'done';
      }
      const backoff = Math.min(this.retry.firstMs * 2 ** (attempts - 1), this.retry.maxMs);
      const delay = Math.max(backoff, (retryAfterOf(error) ?? 0) * 1000);
      this.logger.warn(
        { ...fields, err: error, attempts, retryInMs: delay },
        'Slack work not done yet; it is tried again',
      );
      await releaseForRetry(this.db, 'slack_outbox', entry.id, attempts, new Date(Date.now() + delay));
      if (!slackDown(error)) return 'retry';
      this.slackDownUntil = Math.max(this.slackDownUntil, Date.now() + delay);
      return 'slack down';
    }
  }

  /** The heartbeat: this process still holds what it claimed (even while a call hangs). */
  async renew(): Promise<void> {
    await renewClaims(this.db, this.processId, new Date(Date.now() + this.claimMs), [...this.holding]);
  }

  /** Carries out what nobody holds (its retry is due, its process died); how many were done. */
  async catchUp(limit = 50): Promise<number> {
    const done = await this.drain(undefined, limit);
    await deleteFinished(this.db, 'slack_outbox', new Date(Date.now() - KEEP_DONE_MS), 500);
    return done;
  }

  /** Starts the heartbeat and the catch-up (see ClaimKeeper). */
  start(): void {
    this.keeper.start();
  }

  stop(): Promise<void> {
    return this.keeper.stop();
  }
}
