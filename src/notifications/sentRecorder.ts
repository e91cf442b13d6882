import type { Logger } from '../logger.js';
import type { OutboxQueue, OutboxRow } from './queue.js';

const GROUP_MAX = 200;
/**
 * Waits before trying a failed write again. The write is idempotent (it only marks rows still
 * `sending` under this drainer's lease), and giving up means those emails go out again once their
 * lease runs out (45 s after its heartbeat stops): a database blip of a few seconds should not send anything twice.
 */
const RETRY_DELAYS_MS = [250, 1000, 3000];

/**
 * Records `sent` for many rows in one UPDATE: accepted messages gather for a few milliseconds
 * (or until a group is full), then go in one write (a group commit). A send does not wait for
 * its own row's commit, and the database commits once per group instead of once per email.
 * What a crash can lose is the group being gathered or written: those rows are sent again after
 * their lease (at most `gatherMs` of sending plus one write: a handful of emails).
 */
export class SentRecorder {
  /** Rows recorded as sent by this drainer. */
  recorded = 0;
  private pending: Array<{ row: OutboxRow; done: (error?: unknown) => void }> = [];
  private writing: Promise<void> | undefined;

  constructor(
    private readonly queue: OutboxQueue,
    private readonly owner: string,
    private readonly logger: Logger,
    private readonly gatherMs = 20,
  ) {}

  /** Resolves once `row` is recorded as sent (rejects if the database write failed). */
  record(row: OutboxRow): Promise<void> {
    const written = new Promise<void>((resolve, reject) =>
      this.pending.push({ row, done: (error) => (error === undefined ? resolve() : reject(error)) }),
    );
    this.writing ??= this.writeAll();
    return written;
  }

  /** Waits until every recorded row is written. */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async markSent(rows: OutboxRow[]): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.queue.markManySent(rows, this.owner);
      } catch (error) {
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined) throw error;
        this.logger.warn(
          { err: error, outboxIds: rows.map((row) => row.id), retryInMs: delay },
          'could not record sent emails; trying again',
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async writeAll(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        if (this.pending.length < GROUP_MAX)
          await new Promise((resolve) => setTimeout(resolve, this.gatherMs));
        const group = this.pending.splice(0, GROUP_MAX);
        try {
          const updated = await this.markSent(group.map((entry) => entry.row));
          this.recorded += updated;
          if (updated < group.length) {
            this.logger.warn(
              { outboxIds: group.map((entry) => entry.row.id), lost: group.length - updated },
              'emails sent after their lease passed to another drainer: they may arrive twice',
            );
          }
          for (const entry of group) entry.done();
        } catch (error) {
          for (const entry of group) entry.done(error);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}
