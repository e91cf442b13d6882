import type { Logger } from '../logger.js';
import type { OutboxQueue, OutboxRow } from './queue.js';

/**
 * Records `sent` for many rows in one UPDATE: while one write is under way the next accepted
 * messages gather, then go in the next write (a group commit). A send does not wait for its
 * own row's commit, and the database sees one statement per round trip instead of one per email.
 * What a crash can lose is the group being written: those rows are sent again after their lease.
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

  private async writeAll(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const group = this.pending.splice(0, 500);
        try {
          const updated = await this.queue.markManySent(
            group.map((entry) => entry.row),
            this.owner,
          );
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
