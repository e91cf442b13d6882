import type { Database } from '../db/index.js';
import type { EmailOutbox } from '../db/models/emailOutbox.js';
import type { Logger } from '../logger.js';
import { DEFAULT_RETRY, judgeFailure, RenderFailed, type RetryPolicy, retryDelayMs } from './failures.js';
import { slackThreadUrl, statusPageUrl } from './links.js';
import type { Mailer, OutgoingEmail } from './mailer.js';
import { messageIdFor, ticketThreadId } from './messageId.js';
import type { OutboxQueue } from './queue.js';
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
}

export interface DrainCounts {
  sent: number;
  retried: number;
  dead: number;
}

/**
 * Drains the outbox: claims a short batch, sends it through the mailer `concurrency` at a time,
 * records each outcome, and goes on while rows are due. One drain runs at a time per process;
 * a wake-up during a drain makes it look once more before it stops.
 *
 * Duplicate bound: a message is sent again only when the server accepted it but ticketbot did
 * not learn so (the connection died after DATA, or the process died before recording `sent`).
 * Each such case costs at most one extra copy per attempt, carrying the same Message-ID.
 */
export class OutboxDrainer {
  readonly counts: DrainCounts = { sent: 0, retried: 0, dead: 0 };
  private running: Promise<void> | undefined;
  private again = false;
  private wakePending = false;
  private stopping = false;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly sendBudgetMs: number;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: DrainerOptions) {
    this.batchSize = options.batchSize ?? 50;
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
    this.sendBudgetMs = options.sendBudgetMs ?? 2 * 60_000;
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  /** Drains until nothing is due; concurrent calls share the running drain. Never rejects. */
  drain(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.run()
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'email drain failed; the next run retries'))
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

  private async run(): Promise<void> {
    do {
      this.again = false;
      for (;;) {
        if (this.stopping) return;
        const rows = await this.options.queue.claim(this.options.owner, this.batchSize, this.leaseMs);
        if (rows.length === 0) break;
        await this.sendBatch(rows);
        if (rows.length < this.batchSize && !this.again) break;
      }
    } while (this.again && !this.stopping);
  }

  private async sendBatch(rows: EmailOutbox[]): Promise<void> {
    const cards = await this.cardsOf(rows);
    const unsent: EmailOutbox[] = [];
    let next = 0;
    const worker = async () => {
      for (let row = rows[next++]; row; row = rows[next++]) {
        const leaseEnds = row.leaseExpiresAt?.getTime() ?? 0;
        if (this.stopping || Date.now() + this.sendBudgetMs > leaseEnds) unsent.push(row);
        else await this.sendOne(row, cards);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.mailer.concurrency, rows.length) }, worker));
    await this.options.queue.release(unsent, this.options.owner);
  }

  private async sendOne(row: EmailOutbox, cards: Map<number, string | null>): Promise<void> {
    const log = { outboxId: row.id, ticketId: row.ticketId, template: row.template, attempt: row.attempts };
    let failure: unknown;
    try {
      await this.options.mailer.send(this.compose(row, cards), `${String(row.id).padStart(8, '0')}-${row.template}`);
    } catch (error) {
      failure = error ?? new Error('unknown send failure');
    }
    try {
      if (failure === undefined) await this.recordSent(row, log);
      else await this.recordFailure(row, failure, log);
    } catch (error) {
      // The row stays `sending` under our lease; once it expires another drain retries it.
      this.options.logger.error({ ...log, err: error }, 'could not record the outcome of an email; retried after its lease');
    }
  }

  private async recordSent(row: EmailOutbox, log: object): Promise<void> {
    if (await this.options.queue.markSent(row, this.options.owner)) {
      this.counts.sent += 1;
      this.options.logger.debug(log, 'email sent');
    } else {
      this.options.logger.warn(log, 'email sent after its lease passed to another drainer: it may arrive twice');
    }
  }

  private async recordFailure(row: EmailOutbox, failure: unknown, log: object): Promise<void> {
    const { queue, owner, logger } = this.options;
    const verdict = judgeFailure(failure);
    const details = { ...log, smtpCode: verdict.smtpCode, reason: verdict.reason };
    if (verdict.permanent || row.attempts >= this.retry.maxAttempts) {
      await queue.markDead(row, owner, verdict.reason, verdict.smtpCode);
      this.counts.dead += 1;
      logger.warn(details, 'email given up (dead)');
    } else {
      const delay = retryDelayMs(row.attempts, this.retry);
      await queue.markRetry(row, owner, new Date(Date.now() + delay), verdict.reason, verdict.smtpCode);
      this.counts.retried += 1;
      logger.info({ ...details, retryInMs: delay }, 'email will be retried');
    }
  }

  private compose(row: EmailOutbox, cards: Map<number, string | null>): OutgoingEmail {
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
      headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All', 'X-Ticketbot-Template': row.template },
    };
  }

  /** The Slack thread link of each ticket in the batch, read now: the card is posted after the ticket commits. */
  private async cardsOf(rows: EmailOutbox[]): Promise<Map<number, string | null>> {
    const ids = [...new Set(rows.map((row) => row.ticketId).filter((id): id is number => id !== null))];
    if (ids.length === 0) return new Map();
    const tickets = await this.options.db.models.Ticket.findAll({
      attributes: ['id', 'slackChannelId', 'slackMessageTs'],
      where: { id: ids },
    });
    return new Map(tickets.map((ticket) => [ticket.id, slackThreadUrl(ticket)]));
  }
}
