import { Op, UniqueConstraintError } from 'sequelize';
import type { Database } from '../db/index.js';
import { runInTransaction } from '../db/transaction.js';
import type { Logger } from '../logger.js';
import { collectDigest, isQuiet } from './digest.js';
import { type OutboxEntry, writeOutbox } from './enqueue.js';
import { wantedEntries } from './preferences.js';

export const DIGEST_JOB = 'digest';
const DEFAULT_PERIOD_MS = 24 * 60 * 60_000;

export interface DigestJobDeps {
  db: Database;
  logger: Logger;
  publicUrl: string;
  mailDomain: string;
  managerEmails: string[];
  /** DIGEST_TZ: dates in the digest are shown in it unless the manager is a Slack user with a time zone. */
  timeZone: string;
  /** This process, recorded as the run's owner. */
  owner: string;
}

export type DigestOutcome = 'queued' | 'quiet' | 'already_done' | 'no_managers';

/**
 * One digest run for the cron tick scheduled at `scheduledAt`. The period ends at that minute
 * and starts where the previous run's ended (24 h on the first run). Inserting the
 * (digest, period) row in job_runs claims the period: on several replicas the same tick
 * collides on the unique key and only the first one mails. The claim, the figures and the
 * outbox rows commit together, so a crash half-way leaves nothing claimed.
 */
export async function runDigest(deps: DigestJobDeps, scheduledAt: Date): Promise<DigestOutcome> {
  if (deps.managerEmails.length === 0) return 'no_managers';
  const end = new Date(Math.floor(scheduledAt.getTime() / 60_000) * 60_000);
  const period = end.toISOString();
  try {
    return await runInTransaction(deps.db, async (transaction) => {
      const { JobRun, User } = deps.db.models;
      const last = await JobRun.findOne({
        where: { job: DIGEST_JOB, period: { [Op.lt]: period } },
        order: [['period', 'DESC']],
        transaction,
      });
      await JobRun.create({ job: DIGEST_JOB, period, owner: deps.owner, finishedAt: null }, { transaction });
      const start = last ? new Date(last.period) : new Date(end.getTime() - DEFAULT_PERIOD_MS);
      const digest = await collectDigest(deps.db, { start, end }, deps.publicUrl, transaction);
      let outcome: DigestOutcome = 'quiet';
      if (!isQuiet(digest)) {
        const known = await User.findAll({ where: { email: deps.managerEmails }, transaction });
        const entries = deps.managerEmails.map((email): OutboxEntry => {
          const user = known.find((candidate) => candidate.email?.toLowerCase() === email.toLowerCase());
          return {
            ticketId: null,
            to: { email },
            template: 'digest',
            locale: user?.locale ?? null,
            data: {
              recipient: { name: user ? user.name || user.realName : null },
              timeZone: user?.tz || deps.timeZone,
              digest,
            },
            idempotencyKey: `digest:${period}:${email.toLowerCase()}`,
          };
        });
        // A manager who is a Slack user and turned the digest off in the App Home is skipped.
        const wanted = await wantedEntries(deps.db, entries, transaction);
        await writeOutbox(deps.db, wanted, deps.mailDomain, transaction);
        outcome = 'queued';
      }
      await JobRun.update({ finishedAt: new Date() }, { where: { job: DIGEST_JOB, period }, transaction });
      deps.logger.info(
        { job: DIGEST_JOB, period, start: start.toISOString(), outcome, ...digest.totals },
        'manager digest',
      );
      return outcome;
    });
  } catch (error) {
    if (error instanceof UniqueConstraintError) {
      deps.logger.debug(
        { job: DIGEST_JOB, period },
        'digest for this period already done by another process',
      );
      return 'already_done';
    }
    throw error;
  }
}
