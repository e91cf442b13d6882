import type { Database } from '../db/index.js';
import type { Logger } from '../logger.js';
import { DEFAULT_RETRY, judgeFailure, RenderFailed, type RetryPolicy, retryDelayMs } from './failures.js';
import { slackThreadUrl, statusPageUrl } from './links.js';
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
  templates: EmailTemplates;
  logger: Logger;
  /** This process's name on the leases it takes. */
  owner: string;
  from: string;
  publicUrl: string;
  mailDomain: string;
  batchSize?: number;
  leaseMs?: number;
  /** The longest one send may take (connect + greeting + data); no send starts closer than this to the lease's end. */
  sendBudgetMs?: number;
  retry?: RetryPolicy;
  /** Told each delivery outcome (the status page's /metrics counters). */
  outcomes?: DeliveryOutcomes;
}

export interface DeliveryOutcomes {
  sent(): void;
  /** `permanent`: the email is now dead; otherwise it will be retried. */
  failed(permanent: boolean): void;
}

export interface DrainCounts {
  sent: number;
  retried: number;
  dead: number;
}

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
  cards: Map<number, string | null>;
  claiming: Promise<void> | undefined;
  exhausted: boolean;
  /** The first error a sender met (a claim during a database outage): the others stop after their send. */
  failure: { error: unknown } | undefined;
}

export class OutboxDrainer {
  private readonly failures = { retried: 0, dead: 0 };
  private running: Promise<void> | undefined;
  private again = false;
  private wakePending = false;
  private stopping = false;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly sendBudgetMs: number;
  private readonly retry: RetryPolicy;
  private readonly recorder: SentRecorder;

  constructor(private readonly options: DrainerOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
    this.sendBudgetMs = options.sendBudgetMs ?? 2 * 60_000;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.recorder = new SentRecorder(options.queue, options.owner, options.logger);
  }

  /** What this drainer has recorded so far. */
  get counts(): DrainCounts {
    return { sent: this.recorder.recorded, ...this.failures };
  }

  /** Drains until nothing is due; concurrent calls share the running drain. Never rejects. */
  drain(): Promise<void> {
    if (this.stopping) return Promise.resolve();
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
      cards: new Map(),
      claiming: undefined,
      exhausted: false,
      failure: undefined,
    };
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
      if (drain.failure) throw drain.failure.error;
    } finally {
      await this.recorder.flushed();
      // Rows claimed but not sent (stopping, or too close to their lease's end) go back now.
      if (drain.claiming) await drain.claiming.catch(() => undefined);
      await this.options.queue.release(drain.buffer.splice(0), this.options.owner);
    }
  }

  private async sender(drain: DrainState): Promise<void> {
    const records: Array<Promise<void>> = [];
    for (;;) {
      const row = this.stopping ? undefined : await this.nextRow(drain);
      if (!row) break;
      if (Date.now() + this.sendBudgetMs > row.leaseExpiresAt.getTime()) {
        await this.options.queue.release([row], this.options.owner);
        continue;
      }
      const sent = await this.sendOne(row, drain.cards);
      if (sent) records.push(sent.recorded);
    }
    await Promise.all(records);
  }

  private async nextRow(drain: DrainState): Promise<OutboxRow | undefined> {
    for (;;) {
      if (this.stopping || drain.failure) return undefined;
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
    for (const [ticketId, link] of await this.cardsOf(rows)) drain.cards.set(ticketId, link);
    if (this.stopping) await this.options.queue.release(rows, this.options.owner);
    else drain.buffer.push(...rows);
  }

  /**
   * Sends one row. A failure is recorded before returning; a success returns the pending
   * record (written with others by the SentRecorder) so the sender can go on to the next row.
   */
  private async sendOne(
    row: OutboxRow,
    cards: Map<number, string | null>,
  ): Promise<{ recorded: Promise<void> } | undefined> {
    const log = { outboxId: row.id, ticketId: row.ticketId, template: row.template, attempt: row.attempts };
    const recordFailed = (error: unknown) =>
      // The row stays `sending` under our lease; once it expires another drain retries it.
      this.options.logger.error(
        { ...log, err: error },
        'could not record the outcome of an email; retried after its lease',
      );
    try {
      await this.options.mailer.send(this.compose(row, cards), fileStemOf(row));
    } catch (error) {
      await this.recordFailure(row, error ?? new Error('unknown send failure'), log).catch(recordFailed);
      return undefined;
    }
    this.options.logger.debug(log, 'email sent');
    this.options.outcomes?.sent();
    return { recorded: this.recorder.record(row).catch(recordFailed) };
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

  private compose(row: OutboxRow, cards: Map<number, string | null>): OutgoingEmail {
    const { publicUrl, mailDomain, from } = this.options;
    let rendered: ReturnType<EmailTemplates['render']>;
    try {
      const data = JSON.parse(row.data) as NotificationData;
      rendered = this.options.templates.render(row.template as Notification, row.locale, data, {
        statusPage: row.ticketId ? statusPageUrl(publicUrl, row.ticketId) : `${publicUrl}/`,
        slackThread: row.ticketId ? (cards.get(row.ticketId) ?? null) : null,
      });
    } catch (error) {
      throw new RenderFailed(error);
    }
    const thread = row.ticketId ? ticketThreadId(row.ticketId, mailDomain) : undefined;
    return {
      from,
      to: row.recipient,
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
    const tickets = await this.options.db.models.Ticket.findAll({
      attributes: ['id', 'slackChannelId', 'slackMessageTs'],
      where: { id: ids },
    });
    return new Map(tickets.map((ticket) => [ticket.id, slackThreadUrl(ticket)]));
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
