import { Op } from 'sequelize';
import { DELETE_BATCH_ROWS, deleteInBatches } from '../db/deleteInBatches.js';
import type { Database } from '../db/index.js';
import type { OutboxQueue } from './queue.js';

/**
 * The retention job (EMAIL_RETENTION_DAYS): sent, dead and skipped emails, and the job runs, last touched
 * before `before`. Each job's latest run is kept whatever its age: the next digest's period
 * starts where it ended, so with a retention shorter than the time between two digests (a day
 * against the weekend between Friday's and Monday's) removing it would silently shorten that
 * period to 24 h. Returns how many emails were removed.
 */
export async function purgeExpired(
  db: Database,
  queue: OutboxQueue,
  before: Date,
  batchSize = DELETE_BATCH_ROWS,
): Promise<number> {
  const purged = await queue.purge(before, batchSize);
  const { JobRun } = db.models;
  const latest = (await JobRun.findAll({
    attributes: ['job', [db.sequelize.fn('MAX', db.sequelize.col('period')), 'period']],
    group: ['job'],
    raw: true,
  })) as unknown as Array<{ job: string; period: string }>;
  await deleteInBatches(
    db,
    JobRun,
    {
      createdAt: { [Op.lt]: before },
      [Op.not]: latest.length > 0 ? { [Op.or]: latest.map(({ job, period }) => ({ job, period })) } : {},
    },
    batchSize,
  );
  return purged;
}
