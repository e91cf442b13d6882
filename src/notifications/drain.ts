import type { Database } from '../db/index.js';
import type { Logger } from '../logger.js';
import { slackThreadUrl } from '../slackIds.js';
import type { AddressBook, AddressLookup } from './addressBook.js';
import {
  AddressUnavailable,
  DEFAULT_RETRY,
  judgeFailure,
  RenderFailed,
  type RetryPolicy,
  retryDelayMs,
  serverUnreachable,
} from './failures.js';
import { statusPageUrl } from './links.js';
import type { Mailer, OutgoingEmail } from './mailer.js';
import { messageIdFor, ticketThreadId } from './messageId.js';
import type { OutboxQueue, OutboxRow } from './queue.js';
import { SentRecorder } from './sentRecorder.js';
import type { EmailTemplates } from './templates/index.js';
import type { Notification, NotificationData } from './types.js';

export interface DrainerOptions {
  db: Database;
  queue: OutboxQueue;
  mailer: Mailer;
  /** Where the address, language and time zone of a Slack user come from when their email is sent. */
  addressBook: AddressBook;
  templates: EmailTemplates;
  logger: Logger;
  /** This process's name on the leases it takes. */
  owner: string;
  from: string;
  publicUrl: string;
  mailDomain: string;
  batchSize?: number;
  /**
   * How long the rows a drain claimed stay its own without its heartbeat (which renews them every
   * `heartbeatMs` while the drain runs): when the process dies, another drainer takes them over
   * this long after the last heartbeat, plus one drain tick.
   */
  leaseMs?: number;
  heartbeatMs?: number;
  /**
   * No send starts with less than this left of a lease known to be held (the last heartbeat that
   * succeeded): a drain whose heartbeat cannot reach the database stops sending before another
   * drainer could take its rows over. A live heartbeat keeps the lease however long a send takes.
   */
  sendBudgetMs?: number;
  retry?: RetryPolicy;
  /** Told each delivery outcome (the status page's /metrics counters). */
  outcomes?: DeliveryOutcomes;
  /** Milliseconds now (tests pass a clock they move to play a long SMTP outage quickly). */
  clock?: () => number;
}

export interface DeliveryOutcomes {
  sent(): void;
  /** `permanent`: the email is now dead; otherwise it will be retried. */
  failed(permanent: boolean): void;
  /** Slack has no address for the person: the email is now skipped. */
  skipped(): void;
}

export interface DrainCounts {
  sent: number;
  retried: number;
  dead: number;
  skipped: number;
}

type FoundAddress = Extract<AddressLookup, { kind: 'found' }>;

/**
 * Drains the outbox: claims short batches, sends them through the mailer `concurrency` at a
 * time, records each outcome, and goes on while rows are due. One drain runs at a time per process;
 * a wake-up during a drain makes it look once more before it stops.
 *
 * Duplicate bound: a message is sent again only when the server accepted it but ticketbot did
 * not learn so (the connection died after DATA, or the process died before recording `sent`).
 * Each such case costs at most one extra copy per attempt, carrying the same Message-ID; a crash
 * can also resend the few messages accepted during the last `sent` write (see SentRecorder).
 */
/**
 * Messages handed to the mailer per SMTP connection. nodemailer's pool works best with a queue:
 * a connection that finds the next message waiting sends it at once, instead of idling while
 * the next one is composed (measured: 2 per connection costs ~1 ms more CPU per email than 4).
 */
export const SENDERS_PER_CONNECTION = 4;

interface DrainState {
  buffer: OutboxRow[];
  /** Every row claimed by this drain and not yet finished: what its heartbeat renews. */
  held: Set<OutboxRow>;
  cards: Map<number, string | null>;
  /** What the address book said for each claimed row naming a Slack user, by row id. */
  addresses: Map<number, AddressLookup>;
  claiming: Promise<void> | undefined;
  exhausted: boolean;
  /** The first error a sender met (a claim during a database outage): the others stop after their send. */
  failure: { error: unknown } | undefined;
  /** Why the SMTP server could not be reached, once a send found it so: the senders stop. */
  serverDown: string | undefined;
  /** Whether any message was accepted during this drain. */
  delivered: boolean;
  /** Rows given back to wait for the SMTP server. */
  waited: number;
}

/**
 * The SMTP server is unreachable: no drain claims anything before `until`. The pause doubles
 * with each drain that finds it still down, from SERVER_WAIT_MS up to SERVER_WAIT_MAX_MS (or the
 * retry policy's own, if shorter), so a long outage costs one failed connection a minute.
 */
interface ServerOutage {
  since: number;
  until: number;
  drains: number;
  reason: string;
  /** Emails given back to wait for the server during this outage. */
  waiting: number;
}

export const SERVER_WAIT_MS = 5_000;
export const SERVER_WAIT_MAX_MS = 60_000;

/** The defaults of DrainerOptions' leaseMs, heartbeatMs and sendBudgetMs. */
export const OUTBOX_LEASE_MS = 45_000;
export const OUTBOX_HEARTBEAT_MS = 5_000;
export const OUTBOX_SEND_BUDGET_MS = 30_000;

export class OutboxDrainer {
  private readonly failures = { retried: 0, dead: 0, skipped: 0 };
  private running: Promise<void> | undefined;
  private again = false;
  private wakePending = false;
  private stopping = false;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly sendBudgetMs: number;
  private readonly retry: RetryPolicy;
  private readonly recorder: SentRecorder;
  private readonly clock: () => number;
  private outage: ServerOutage | undefined;

  constructor(private readonly options: DrainerOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.leaseMs = options.leaseMs ?? OUTBOX_LEASE_MS;
    this.heartbeatMs = options.heartbeatMs ?? Math.min(OUTBOX_HEARTBEAT_MS, Math.floor(this.leaseMs / 3));
    this.sendBudgetMs = options.sendBudgetMs ?? Math.min(OUTBOX_SEND_BUDGET_MS, Math.floor(this.leaseMs / 2));
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.recorder = new SentRecorder(options.queue, options.owner, options.logger);
    this.clock = options.clock ?? Date.now;
  }

  /** Since when the SMTP server has been unreachable, if it is now (for the logs and tests). */
  get smtpDownSince(): Date | undefined {
    return this.outage ? new Date(this.outage.since) : undefined;
  }

  /** What this drainer has recorded so far. */
  get counts(): DrainCounts {
    return { sent: this.recorder.recorded, ...this.failures };
  }

  /** Drains until nothing is due; concurrent calls share the running drain. Never rejects. */
  drain(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    // The SMTP server was unreachable: the rows wait, untouched, until it is worth trying again.
    if (this.outage && this.clock() < this.outage.until) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      // A wake-up that lands while a drain is finishing is not lost: go round once more.
      do {
        this.again = false;
        await this.run();
      } while (this.again && !this.stopping);
    })()
      .catch((error: unknown) =>
        this.options.logger.error({ err: error }, 'email drain failed; the next run retries'),
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Asks for a drain soon (after a commit that queued mail); many wake-ups make one drain. */
  wake(): void {
    if (this.wakePending || this.stopping) return;
    this.wakePending = true;
    setImmediate(() => {
      this.wakePending = false;
      void this.drain();
    });
  }

  /** Stops claiming, lets in-flight sends finish and gives back rows claimed but not sent. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /**
   * `concurrency` senders take rows from a small buffer of claimed rows; the next batch is
   * claimed while the last rows of the previous one are still being sent, so the SMTP
   * connections never wait for the database.
   */
  private async run(): Promise<void> {
    const drain: DrainState = {
      buffer: [],
      held: new Set(),
      cards: new Map(),
      addresses: new Map(),
      claiming: undefined,
      exhausted: false,
      failure: undefined,
      serverDown: undefined,
      delivered: false,
      waited: 0,
    };
    const heartbeat = this.startHeartbeat(drain);
    try {
      // Several senders per SMTP connection: a message is always composed and waiting when a
      // connection finishes the previous one. One sender failing does not end the drain while
      // the others still have sends in flight: stop() and the next drain rely on it being over.
      const senders = Array.from({ length: this.options.mailer.concurrency * SENDERS_PER_CONNECTION }, () =>
        this.sender(drain).catch((error: unknown) => {
          drain.failure ??= { error };
        }),
      );
      await Promise.all(senders);
      this.noteServer(drain);
      if (drain.failure) throw drain.failure.error;
    } finally {
      try {
        await this.recorder.flushed();
        // Rows claimed but not sent (stopping, or too close to their lease's end) go back now.
        if (drain.claiming) await drain.claiming.catch(() => undefined);
        await this.options.queue.release(drain.buffer.splice(0), this.options.owner);
      } finally {
        await heartbeat.stop();
      }
    }
  }

  /**
   * While the drain runs: every `heartbeatMs`, the rows it holds (claimed, not finished) get their
   * lease renewed to `leaseMs` from then. A row's lease counts as renewed only while it was still
   * held when the renewal was answered: one that ran out meanwhile may be another drainer's now.
   */
  private startHeartbeat(drain: DrainState): { stop(): Promise<void> } {
    let beat: Promise<void> = Promise.resolve();
    let beating = false;
    const timer = setInterval(() => {
      if (beating || drain.held.size === 0) return;
      beating = true;
      beat = (async () => {
        const until = new Date(Date.now() + this.leaseMs);
        const renewed = await this.options.queue.renew(this.options.owner, until);
        const finished = Date.now();
        for (const row of drain.held)
          if (row.leaseExpiresAt.getTime() > finished && row.leaseExpiresAt < renewed)
            row.leaseExpiresAt = renewed;
      })()
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error }, 'could not renew the lease on the emails being sent'),
        )
        .finally(() => {
          beating = false;
        });
    }, this.heartbeatMs);
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        await beat;
      },
    };
  }

  private async sender(drain: DrainState): Promise<void> {
    const records: Array<Promise<void>> = [];
    for (;;) {
      const row = this.stopping ? undefined : await this.nextRow(drain);
      if (!row) break;
      if (Date.now() + this.sendBudgetMs > row.leaseExpiresAt.getTime()) {
        drain.held.delete(row);
        await this.options.queue.release([row], this.options.owner);
        continue;
      }
      const sent = await this.sendOne(row, drain).catch((error: unknown) => {
        drain.held.delete(row);
        throw error;
      });
      // Held until its outcome is written: an accepted email's lease must not run out meanwhile.
      if (sent) records.push(sent.recorded.finally(() => drain.held.delete(row)));
      else drain.held.delete(row);
    }
    await Promise.all(records);
  }

  private async nextRow(drain: DrainState): Promise<OutboxRow | undefined> {
    for (;;) {
      if (this.stopping || drain.failure || drain.serverDown !== undefined) return undefined;
      // Keep one claim ahead: start the next one while half a batch still feeds the senders,
      // so they never wait for the database.
      if (
        drain.buffer.length <=
          Math.max(this.options.mailer.concurrency * SENDERS_PER_CONNECTION, this.batchSize / 2) &&
        !drain.exhausted
      ) {
        drain.claiming ??= this.claimInto(drain).finally(() => {
          drain.claiming = undefined;
        });
      }
      const row = drain.buffer.shift();
      if (row) return row;
      if (drain.exhausted) return undefined;
      await drain.claiming;
    }
  }

  private async claimInto(drain: DrainState): Promise<void> {
    const rows = await this.options.queue.claim(this.options.owner, this.batchSize, this.leaseMs);
    if (rows.length === 0) {
      // A wake-up during the drain: look once more before calling it done.
      if (this.again) this.again = false;
      else drain.exhausted = true;
      return;
    }
    try {
      // Card links and addresses for the whole batch at once, while the previous batch is still
      // being sent: one query each, users.info only for the people whose profile is not fresh.
      const [cards, addresses] = await Promise.all([this.cardsOf(rows), this.addressesOf(rows)]);
      for (const [ticketId, link] of cards) drain.cards.set(ticketId, link);
      for (const [rowId, lookup] of addresses) drain.addresses.set(rowId, lookup);
    } catch (error) {
      // Nothing was tried: the rows go back as they were (the claim not counted as an attempt).
      await this.options.queue.release(rows, this.options.owner).catch(() => undefined);
      throw error;
    }
    if (this.stopping) await this.options.queue.release(rows, this.options.owner);
    else {
      for (const row of rows) drain.held.add(row);
      drain.buffer.push(...rows);
    }
  }

  /** The address book's answer for each row naming a Slack user (none asked when no row does). */
  private async addressesOf(rows: OutboxRow[]): Promise<Map<number, AddressLookup>> {
    const people = [
      ...new Set(rows.map((row) => row.recipientUserId).filter((id): id is string => id !== null)),
    ];
    if (people.length === 0) return new Map();
    const found = await this.options.addressBook.lookUp(people);
    const byRow = new Map<number, AddressLookup>();
    for (const row of rows) {
      if (row.recipientUserId === null) continue;
      byRow.set(
        row.id,
        found.get(row.recipientUserId) ?? { kind: 'unreachable', reason: 'the address book gave no answer' },
      );
    }
    return byRow;
  }

  /**
   * Sends one row. A failure is recorded before returning; a success returns the pending
   * record (written with others by the SentRecorder) so the sender can go on to the next row.
   * A row naming a Slack user goes to the address the address book found for it just now.
   */
  private async sendOne(row: OutboxRow, drain: DrainState): Promise<{ recorded: Promise<void> } | undefined> {
    const log = { outboxId: row.id, ticketId: row.ticketId, template: row.template, attempt: row.attempts };
    const recordFailed = (error: unknown) =>
      // The row stays `sending` under our lease; once it expires another drain retries it.
      this.options.logger.error(
        { ...log, err: error },
        'could not record the outcome of an email; retried after its lease',
      );
    let profile: FoundAddress | undefined;
    if (row.recipientUserId !== null) {
      const lookup = drain.addresses.get(row.id) ?? {
        kind: 'unreachable',
        reason: 'the address was not looked up',
      };
      drain.addresses.delete(row.id);
      if (lookup.kind === 'no_email') {
        await this.recordSkipped(row, lookup.reason, log).catch(recordFailed);
        return undefined;
      }
      if (lookup.kind === 'unreachable') {
        await this.recordFailure(row, new AddressUnavailable(lookup.reason), log).catch(recordFailed);
        return undefined;
      }
      profile = lookup;
      row.recipient = lookup.email;
    }
    try {
      await this.options.mailer.send(this.compose(row, drain.cards, profile), fileStemOf(row));
    } catch (error) {
      if (serverUnreachable(error)) {
        // The server, not the message: the row waits for it with its attempt given back.
        const reason = judgeFailure(error).reason;
        drain.serverDown ??= reason;
        await this.options.queue.waitForServer([row], this.options.owner, reason).catch(recordFailed);
        drain.waited += 1;
        return undefined;
      }
      await this.recordFailure(row, error ?? new Error('unknown send failure'), log).catch(recordFailed);
      return undefined;
    }
    drain.delivered = true;
    this.options.logger.debug(log, 'email sent');
    this.options.outcomes?.sent();
    return { recorded: this.recorder.record(row).catch(recordFailed) };
  }

  /** After a drain: starts, extends or ends the SMTP outage, and says so in the log. */
  private noteServer(drain: DrainState): void {
    const { logger, mailer } = this.options;
    const now = this.clock();
    if (drain.serverDown !== undefined) {
      const first = Math.min(SERVER_WAIT_MS, this.retry.baseDelayMs);
      const max = Math.min(SERVER_WAIT_MAX_MS, this.retry.maxDelayMs);
      const outage: ServerOutage = this.outage ?? {
        since: now,
        until: now,
        drains: 0,
        reason: drain.serverDown,
        waiting: 0,
      };
      outage.waiting += drain.waited;
      outage.drains += 1;
      outage.reason = drain.serverDown;
      const waitMs = Math.min(max, first * 2 ** (outage.drains - 1));
      outage.until = now + waitMs;
      if (!this.outage)
        logger.warn(
          { smtp: mailer.destination, reason: outage.reason, retryInMs: waitMs },
          'SMTP server unreachable: emails wait for it, oldest first, without using up their attempts',
        );
      else
        logger.info(
          { smtp: mailer.destination, reason: outage.reason, retryInMs: waitMs },
          'SMTP server still unreachable',
        );
      this.outage = outage;
    } else if (this.outage && drain.delivered) {
      logger.info(
        { smtp: mailer.destination, downForMs: now - this.outage.since, emailsWaited: this.outage.waiting },
        'SMTP server reachable again: the emails that waited are going out',
      );
      this.outage = undefined;
    }
  }

  private async recordSkipped(row: OutboxRow, reason: string, log: object): Promise<void> {
    await this.options.queue.markSkipped(row, this.options.owner, reason);
    this.failures.skipped += 1;
    this.options.outcomes?.skipped();
    this.options.logger.info(
      { ...log, slackUser: row.recipientUserId, reason },
      'no email address for this person: email skipped',
    );
  }

  private async recordFailure(row: OutboxRow, failure: unknown, log: object): Promise<void> {
    const { queue, owner, logger } = this.options;
    const verdict = judgeFailure(failure);
    const details = { ...log, smtpCode: verdict.smtpCode, reason: verdict.reason };
    if (verdict.permanent || row.attempts >= this.retry.maxAttempts) {
      await queue.markDead(row, owner, verdict.reason, verdict.smtpCode);
      this.failures.dead += 1;
      this.options.outcomes?.failed(true);
      logger.warn(details, 'email given up (dead)');
    } else {
      const delay = retryDelayMs(row.attempts, this.retry);
      await queue.markRetry(row, owner, new Date(Date.now() + delay), verdict.reason, verdict.smtpCode);
      this.failures.retried += 1;
      this.options.outcomes?.failed(false);
      logger.info({ ...details, retryInMs: delay }, 'email will be retried');
    }
  }

  /**
   * The email as it leaves now. For a Slack user, their name, language and time zone are those of
   * the profile just looked up (someone looked up late still gets theirs); a bare address keeps
   * what was stored when it was queued.
   */
  private compose(
    row: OutboxRow,
    cards: Map<number, string | null>,
    profile: FoundAddress | undefined,
  ): OutgoingEmail {
    const { publicUrl, mailDomain, from } = this.options;
    const to = row.recipient;
    if (!to) throw new RenderFailed(new Error('the email has no recipient address'));
    let rendered: ReturnType<EmailTemplates['render']>;
    try {
      const data = JSON.parse(row.data) as NotificationData;
      if (profile) {
        data.recipient = { name: profile.name };
        data.timeZone = profile.timeZone ?? data.timeZone ?? null;
      }
      rendered = this.options.templates.render(
        row.template as Notification,
        profile ? (profile.locale ?? row.locale) : row.locale,
        data,
        {
          statusPage: row.ticketId ? statusPageUrl(publicUrl, row.ticketId) : `${publicUrl}/`,
          slackThread: row.ticketId ? (cards.get(row.ticketId) ?? null) : null,
        },
      );
    } catch (error) {
      throw new RenderFailed(error);
    }
    const thread = row.ticketId ? ticketThreadId(row.ticketId, mailDomain) : undefined;
    return {
      from,
      to,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      messageId: row.messageId ?? messageIdFor(row.idempotencyKey, mailDomain),
      date: row.createdAt,
      inReplyTo: thread,
      references: thread,
      headers: {
        'Auto-Submitted': 'auto-generated',
        'X-Auto-Response-Suppress': 'All',
        'X-Ticketbot-Template': row.template,
      },
    };
  }

  /** The Slack thread link of each ticket in the batch, read now: the card is posted after the ticket commits. */
  private async cardsOf(rows: OutboxRow[]): Promise<Map<number, string | null>> {
    const ids = [...new Set(rows.map((row) => row.ticketId).filter((id): id is number => id !== null))];
    if (ids.length === 0) return new Map();
    // Where each card is: Slack's bookkeeping (slack_cards); a ticket without a row has no card.
    const cards = await this.options.db.models.SlackCard.findAll({
      attributes: ['ticketId', 'channelId', 'messageTs'],
      where: { ticketId: ids },
    });
    const links = new Map<number, string | null>(ids.map((id) => [id, null]));
    for (const card of cards) links.set(card.ticketId, slackThreadUrl(card.channelId, card.messageTs));
    return links;
  }
}

/**
 * An .eml file's name (no SMTP_URL): when it was sent, then the outbox row, so the folder lists
 * in order, and another database's row with the same id (a switch from SQLite to MySQL, say)
 * never writes over an earlier email: `20261126-193855-00000012-ticket_assigned`.
 */
function fileStemOf(row: OutboxRow): string {
  const sent = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${sent}-${String(row.id).padStart(8, '0')}-${row.template}`;
}
