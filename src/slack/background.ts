import type { Logger } from '../logger.js';

/**
 * Work done after Slack has its acknowledgement (posting cards, DMs, App Home). Failures are
 * logged, never thrown at Slack; `idle()` lets shutdown wait for what is in flight.
 */
export class Background {
  private readonly pending = new Set<Promise<void>>();
  private readonly latest = new Map<string, { again: boolean; done: Promise<void> }>();

  constructor(private readonly logger: Logger) {}

  run(label: string, work: () => Promise<unknown>, fields: Record<string, unknown> = {}): Promise<void> {
    const task = (async () => {
      try {
        await work();
      } catch (error) {
        this.logger.error({ err: error, task: label, ...fields }, 'Slack background task failed');
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

  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
