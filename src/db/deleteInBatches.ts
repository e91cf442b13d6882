import { type Model, type ModelStatic, Op, type WhereOptions } from 'sequelize';
import { type Database, writeAlone } from './index.js';

/**
 * Rows removed per DELETE by the retention jobs. One statement deleting a year of rows would be
 * one huge transaction: Galera replicates a transaction as one write set, refused beyond
 * wsrep_max_ws_rows / wsrep_max_ws_size and stalling every node while it is certified and
 * applied (https://mariadb.com/kb/en/galera-cluster-system-variables/#wsrep_max_ws_rows); on one
 * server it holds its row locks and undo log for the whole run.
 */
export const DELETE_BATCH_ROWS = 500;

/**
 * Deletes the rows of `model` matching `where`, at most `batchSize` per statement (each its own
 * transaction), until none is left; returns how many were removed. Each batch picks ids first
 * (SQLite has no DELETE … LIMIT unless compiled with it) and deletes those still matching.
 */
export async function deleteInBatches<M extends Model>(
  db: Database,
  model: ModelStatic<M>,
  where: WhereOptions<M>,
  batchSize = DELETE_BATCH_ROWS,
): Promise<number> {
  let removed = 0;
  for (;;) {
    const ids = (
      (await model.findAll({
        attributes: ['id'],
        where,
        order: [['id', 'ASC']],
        limit: batchSize,
        raw: true,
      })) as unknown as Array<{ id: number }>
    ).map((row) => row.id);
    if (ids.length === 0) return removed;
    removed += await writeAlone(db, () =>
      model.destroy({ where: { [Op.and]: [where, { id: ids }] } as WhereOptions<M> }),
    );
    if (ids.length < batchSize) return removed;
  }
}
