import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { BaseError, ConnectionError, TimeoutError } from 'sequelize';
import type { Database } from '../db/index.js';
import { isLostConnection, isRetryableLockError } from '../db/transaction.js';
import type { Logger } from '../logger.js';
import type { InTransactionHook } from '../tickets/index.js';
import type { Background } from './background.js';
import { ClaimKeeper } from './claimKeeper.js';
import { deleteFinished, markFailed, releaseForRetry } from './store/claimRows.js';
import {
  claimWaiting,
  type InboxEntry,
  isApplied,
  markApplied,
  recordDelivery,
  renewClaims,
} from './store/inbox.js';

/**
 * How long a process's claim on a request lasts without its heartbeat (which renews it every
 * third of that): a process that dies leaves its requests to the others within this, plus one
 * catch-up round.
 */
export const DEFAULT_CLAIM_MS = 30_000;
/** Attempts before a request is given up (logged with its reason, kept in slack_inbox). */
export const MAX_ATTEMPTS = 20;
/** Applied requests are kept this long (a retried event is recognised by its id meanwhile). */
const KEEP_APPLIED_MS = 24 * 60 * 60 * 1000;

/**
 * Applies one request. `applied` is an in-transaction hook for the ticket change it makes: it
 * marks the request applied in that change's own transaction, so the change is made once however
 * many times the request is applied (a crash between the two, two replicas catching up).
 */
export type InboxHandler = (
  payload: unknown,
  applied: InTransactionHook,
  entry: InboxAttempt,
) => Promise<void>;

/** The request being applied. */
export interface InboxAttempt {
  id: number;
  /**
   * Whether another attempt has applied it meanwhile (a process that was slow, not dead): a
   * refusal this attempt met (the ticket moved on) is then its own doing, and nothing to tell.
   */
  appliedElsewhere(): Promise<boolean>;
}

/** Thrown by the `applied` hook when another attempt applied the request first: nothing to do. */
export class AlreadyApplied extends Error {
  constructor(readonly entryId: number) {
    super(`Slack request ${entryId} was applied already`);
  }
}

/**
 * The database could not be reached or gave up a lock: the request waits for a later attempt
 * instead of being answered with an error.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof ConnectionError || error instanceof TimeoutError) return true;
  if (isLostConnection(error) || isRetryableLockError(error)) return true;
  const code = (error as { code?: unknown; parent?: { code?: unknown } } | null)?.code;
  const parentCode =
    error instanceof BaseError ? (error as { parent?: { code?: unknown } }).parent?.code : undefined;
  return ['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(String(code ?? parentCode ?? ''));
}

/**
 * Every click and event ticketbot acknowledges is recorded here before its ack and applied from
 * the database, not from memory: in order of arrival, once, by whichever process holds it. Slack
 * never sends an acknowledged request again, so a crash, an out-of-memory kill or a deploy would
 * otherwise lose whatever was still waiting its turn.
 *
 * Each process holds the requests it records with a short claim that its heartbeat renews. When a
 * process dies, its claims run out and the catch-up of any other process (or its own successor)
 * takes them over; a failed attempt is given back with a growing delay.
 */
export class Inbox {
  /** This process, as claims name it. */
  readonly processId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly handlers = new Map<string, InboxHandler>();
  private readonly keeper: ClaimKeeper;

  constructor(
    private readonly db: Database,
    private readonly background: Background,
    private readonly logger: Logger,
    readonly claimMs = DEFAULT_CLAIM_MS,
  ) {
    this.keeper = new ClaimKeeper('Slack requests', claimMs, this, background, logger);
  }

  /** How requests of `kind` are applied. */
  on(kind: string, handler: InboxHandler): void {
    this.handlers.set(kind, handler);
  }

  /**
   * Records a request before it is acknowledged (throws when the database cannot take it: then it
   * must not be acknowledged as received). Null: `key` was recorded before (a redelivery). A
   * ticket's requests are applied in the order they were recorded; `orderOf` is the ticket's id,
   * or what else the request must take its turn with (`message:<channel>:<ts>` for reactions on
   * one message, before it has a ticket).
   */
  record(kind: string, key: string, orderOf: number | string, payload: unknown): Promise<number | null> {
    const now = new Date();
    return recordDelivery(this.db, {
      key,
      kind,
      orderKey: typeof orderOf === 'number' ? `ticket:${orderOf}` : orderOf,
      payload,
      claimedBy: this.processId,
      claimUntil: new Date(now.getTime() + this.claimMs),
      now,
    });
  }

  /** Applies a request this process has just recorded, in turn with the other background work. */
  apply(id: number, kind: string, payload: unknown): Promise<void> {
    return this.background.run('slack request', () => this.attempt({ id, kind, payload, attempts: 0 }), {
      inboxId: id,
      kind,
    });
  }

  private async attempt(entry: InboxEntry): Promise<void> {
    const handler = this.handlers.get(entry.kind);
    if (!handler) {
      await markFailed(this.db, 'slack_inbox', entry.id, entry.attempts, `no handler for ${entry.kind}`);
      this.logger.error({ inboxId: entry.id, kind: entry.kind }, 'Slack request of an unknown kind given up');
      return;
    }
    const applied: InTransactionHook = async (_change, transaction) => {
      if (!(await markApplied(this.db, entry.id, new Date(), transaction)))
        throw new AlreadyApplied(entry.id);
    };
    try {
      await handler(entry.payload, applied, {
        id: entry.id,
        appliedElsewhere: () => isApplied(this.db, entry.id),
      });
      await markApplied(this.db, entry.id, new Date());
    } catch (error) {
      if (error instanceof AlreadyApplied) return;
      const attempts = entry.attempts + 1;
      const fields = { err: error, inboxId: entry.id, kind: entry.kind, attempts };
      if (attempts >= MAX_ATTEMPTS) {
        this.logger.error(fields, 'Slack request given up after every attempt failed');
        await markFailed(
          this.db,
          'slack_inbox',
          entry.id,
          attempts,
          error instanceof Error ? error.message : String(error),
        );
        return;
      }
      // 5 s, 10 s, 20 s … up to 5 minutes: a database outage is waited out.
      const delay = Math.min(5_000 * 2 ** (attempts - 1), 300_000);
      this.logger.warn(fields, 'Slack request not applied yet; it is tried again');
      await releaseForRetry(this.db, 'slack_inbox', entry.id, attempts, new Date(Date.now() + delay));
    }
  }

  /**
   * A request recorded too late: the person was already told it was not taken. It is kept, marked
   * failed with `reason`, and never applied. A failure to do so is logged (the request would then
   * be applied by a catch-up).
   */
  async withdraw(id: number, reason: string): Promise<void> {
    try {
      await markFailed(this.db, 'slack_inbox', id, 0, reason);
      this.logger.warn({ inboxId: id }, 'Slack request recorded after its answer: withdrawn, not applied');
    } catch (error) {
      this.logger.error(
        { err: error, inboxId: id },
        'could not withdraw a Slack request recorded after its answer',
      );
    }
  }

  /** The heartbeat: this process still holds what it claimed (even while it waits its turn). */
  async renew(): Promise<void> {
    await renewClaims(this.db, this.processId, new Date(Date.now() + this.claimMs));
  }

  /** Applies what nobody holds any more (its process died, or its retry is due); how many it took. */
  async catchUp(limit = 50): Promise<number> {
    const now = new Date();
    const entries = await claimWaiting(
      this.db,
      this.processId,
      new Date(now.getTime() + this.claimMs),
      now,
      limit,
    );
    // In order of arrival, one after the other: a ticket's clicks apply in the order they came.
    for (const entry of entries) await this.attempt(entry);
    await deleteFinished(this.db, 'slack_inbox', new Date(now.getTime() - KEEP_APPLIED_MS), 500);
    return entries.length;
  }

  /** Starts the heartbeat and the catch-up (see ClaimKeeper). */
  start(): void {
    this.keeper.start();
  }

  stop(): Promise<void> {
    return this.keeper.stop();
  }
}
