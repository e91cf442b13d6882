import type { Logger } from '../logger.js';

/** Background tasks running at once; the rest wait their turn. */
const DEFAULT_SLOTS = 4;

/**
 * Work done after Slack has its acknowledgement (posting cards, DMs, App Home). Failures are
 * logged, never thrown at Slack; `idle()` lets shutdown wait for what is in flight.
 *
 * Only a few tasks run at once, so under a burst they cannot take every database connection
 * from the requests Slack is waiting on (a submission must be stored before it is acked, within
 * 3 s; a card may appear a moment later). Tasks never wait for other tasks, so this cannot deadlock.
 */
export class Background {
  private readonly pending = new Set<Promise<void>>();
  private readonly latest = new Map<string, { again: boolean; done: Promise<void> }>();
  private readonly queue: Array<() => void> = [];
  private running = 0;

  constructor(
    private readonly logger: Logger,
    private readonly slots = DEFAULT_SLOTS,
  ) {}

  private async turn(): Promise<void> {
    if (this.running < this.slots) {
      this.running += 1;
      return;
    }
    // The slot is handed over by the task that finishes (running stays the same).
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.running -= 1;
  }

  run(label: string, work: () => Promise<unknown>, fields: Record<string, unknown> = {}): Promise<void> {
    const task = (async () => {
      await this.turn();
      try {
        await work();
      } catch (error) {
        this.logger.error({ err: error, task: label, ...fields }, 'Slack background task failed');
      } finally {
        this.release();
      }
    })();
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
    return task;
  }

  /**
   * Runs `work` for `key`, one at a time; calls that arrive meanwhile collapse into one more run.
   * A card or an App Home is rendered from the database each time, so the last run shows the
   * latest state even when changes race (two clicks, two replicas' hooks on one process).
   */
  runLatest(
    key: string,
    label: string,
    work: () => Promise<unknown>,
    fields: Record<string, unknown> = {},
  ): Promise<void> {
    const current = this.latest.get(key);
    if (current) {
      current.again = true;
      return current.done;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = this.run(
      label,
      async () => {
        try {
          do {
            entry.again = false;
            await work();
          } while (entry.again);
        } finally {
          this.latest.delete(key);
        }
      },
      fields,
    );
    this.latest.set(key, entry);
    return entry.done;
  }

  /**
   * Work already under way elsewhere that shutdown must also wait for: a listener still running
   * after Slack has its acknowledgement. Returns `work` itself (its result or error unchanged).
   */
  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
    return work;
  }

  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
