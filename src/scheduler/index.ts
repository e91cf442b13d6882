import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../logger.js';

export interface ScheduledJobContext {
  /** The time the run was scheduled for (not when it started). */
  scheduledAt: Date;
}

export interface Scheduler {
  /** Runs `job` on a node-cron expression (seconds field allowed); runs never overlap. */
  every(
    name: string,
    expression: string,
    job: (context: ScheduledJobContext) => Promise<void>,
    options?: { timeZone?: string },
  ): void;
  /** No new runs; waits for the ones under way. */
  stop(): Promise<void>;
}

/** The process's periodic jobs (outbox drain, digests, retention) on node-cron. */
export function createScheduler(logger: Logger): Scheduler {
  const tasks: ScheduledTask[] = [];
  const running = new Set<Promise<void>>();
  let stopped = false;
  const cronLogger = {
    info: (message: string) => logger.debug({ scheduler: 'node-cron' }, message),
    warn: (message: string) => logger.warn({ scheduler: 'node-cron' }, message),
    error: (message: string | Error, err?: Error) =>
      logger.error({ scheduler: 'node-cron', err: err ?? message }, String(message)),
    debug: (message: string | Error) => logger.trace({ scheduler: 'node-cron' }, String(message)),
  };
  return {
    every(name, expression, job, options = {}) {
      const task = cron.schedule(
        expression,
        async (context) => {
          if (stopped) return;
          const run = job({ scheduledAt: context.date }).catch((error: unknown) =>
            logger.error({ err: error, job: name }, 'scheduled job failed'),
          );
          running.add(run);
          try {
            await run;
          } finally {
            running.delete(run);
          }
        },
        {
          name,
          timezone: options.timeZone,
          noOverlap: true,
          logger: cronLogger,
          suppressMissedWarning: true,
        },
      );
      tasks.push(task);
      logger.debug({ job: name, cron: expression, timeZone: options.timeZone }, 'job scheduled');
    },
    async stop() {
      stopped = true;
      await Promise.all(tasks.map(async (task) => task.destroy()));
      await Promise.all([...running]);
    },
  };
}
