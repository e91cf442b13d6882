import type { Database } from '../db/index.js';
import type { Logger } from '../logger.js';
import { renewCardLeases } from './store/cards.js';

/**
 * How long a process's lease on a new ticket's delivery (its card, then the DMs) lasts without its
 * heartbeat. Short, so that when the process dies another one takes the delivery over within a
 * minute: this, plus at most one card catch-up round (CARD_CATCH_UP_MS in src/slack/index.ts).
 */
export const CARD_LEASE_MS = 40_000;
/** How often the heartbeat renews the leases this process holds (to CARD_LEASE_MS from then). */
export const CARD_HEARTBEAT_MS = 5_000;
/**
 * A card is sent to Slack only while at least this much of its lease is known to be held: the
 * request's own timeout once sent (SLACK_REQUEST_TIMEOUT_MS, 20 s) and a margin. The post can wait
 * any time for Slack's rate limit before it is sent, with the heartbeat renewing the lease; the
 * check is made at the moment it is sent (src/slack/pacing.ts, `guardedSends`), so a post whose
 * process could not renew the lease (the database away) is not sent, and no other process can
 * have taken the card over while the post is under way.
 */
export const POST_LEASE_LEFT_MS = 25_000;

/**
 * The new-ticket deliveries this process holds, and until when each lease is known to be its own.
 * A lease counts as held until the end written by the last renewal that began while it was still
 * held (renewals only extend the owner's running leases), rounded down to the second (MySQL's
 * DATETIME keeps whole seconds). The heartbeat runs only while something is held.
 */
export class CardLeases {
  /** Ticket id → until when (ms) its lease is known to be this process's. */
  private readonly held = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private beat: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    /** This process, as slack_cards.lease_owner names it. */
    readonly owner: string,
    private readonly logger: Logger,
    readonly leaseMs = CARD_LEASE_MS,
    private readonly heartbeatMs = CARD_HEARTBEAT_MS,
  ) {}

  /** Where a new lease of this process would end, if taken now. */
  leaseEnd(): Date {
    return new Date(Date.now() + this.leaseMs);
  }

  /** This process took the lease on `ticketId`'s delivery, until `until` (as written). */
  hold(ticketId: number, until: Date): void {
    this.held.set(ticketId, floorToSecond(until.getTime()));
  }

  /** The delivery is over (finished, given back or lost): no more renewals. */
  forget(ticketId: number): void {
    this.held.delete(ticketId);
  }

  /** How long the lease on `ticketId` is still known to be this process's (0: not held). */
  left(ticketId: number): number {
    const until = this.held.get(ticketId);
    return until === undefined ? 0 : Math.max(0, until - Date.now());
  }

  /** What is held now (for tests and the logs). */
  get size(): number {
    return this.held.size;
  }

  /** One heartbeat: every lease still held runs until CARD_LEASE_MS from now. */
  async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const started = Date.now();
    const ids: number[] = [];
    for (const [ticketId, until] of this.held) {
      if (until > started) ids.push(ticketId);
      else {
        // It ran out before this renewal: another process may have it now.
        this.held.delete(ticketId);
        this.logger.warn({ ticketId }, 'the lease on a new ticket’s delivery ran out in this process');
      }
    }
    const until = new Date(started + this.leaseMs);
    await renewCardLeases(this.db, this.owner, ids, until);
    // A lease still held when the UPDATE was answered was held when it ran: it was renewed.
    const finished = Date.now();
    for (const ticketId of ids) {
      const previous = this.held.get(ticketId);
      // Forgotten meanwhile (the delivery ended), or held anew by a later take: left as it is.
      if (previous !== undefined && previous > finished && previous < until.getTime())
        this.held.set(ticketId, floorToSecond(until.getTime()));
    }
  }

  /** Starts the heartbeat, every CARD_HEARTBEAT_MS. */
  start(): void {
    let beating = false;
    this.timer = setInterval(() => {
      if (beating || this.held.size === 0) return;
      beating = true;
      this.beat = this.renew()
        .catch((error: unknown) =>
          this.logger.warn({ err: error }, 'could not renew the leases on new tickets’ deliveries'),
        )
        .finally(() => {
          beating = false;
        });
    }, this.heartbeatMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beat;
  }
}

function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
