import { setTimeout as sleep } from 'node:timers/promises';
import { Transaction } from 'sequelize';
import type { Database } from '../db/index.js';

const MYSQL_DEADLOCK = 1213;
const MYSQL_LOCK_WAIT_TIMEOUT = 1205;

function isRetryableLockError(error: unknown): boolean {
  const parent = (error as { parent?: { errno?: number; code?: string } }).parent;
  if (!parent) return false;
  return (
    parent.errno === MYSQL_DEADLOCK ||
    parent.errno === MYSQL_LOCK_WAIT_TIMEOUT ||
    parent.code === 'SQLITE_BUSY'
  );
}

/**
 * The connection broke (the server restarted, failed over, or killed it; mysql2 marks such errors
 * fatal). The pool hands out a connection whose end it has not noticed yet, so the first
 * transaction after an outage meets it.
 */
function isLostConnection(error: unknown): boolean {
  return (error as { parent?: { fatal?: boolean } }).parent?.fatal === true;
}

/**
 * Runs `work` in one transaction. On SQLite the transaction is IMMEDIATE: it takes the write
 * lock up front, so two writers queue instead of deadlocking when both try to upgrade a read
 * lock. On MySQL the isolation is READ COMMITTED: a rule that waited for a row lock must then see
 * what the previous holder committed (under REPEATABLE READ its plain reads would still show the
 * snapshot from before the wait). A deadlock victim is retried with the whole unit of work, and so
 * is a transaction whose connection was lost before it asked to commit (the server rolled it
 * back); one lost during COMMIT may have committed, so that error is thrown.
 */
export async function runInTransaction<T>(
  db: Database,
  work: (transaction: Transaction) => Promise<T>,
): Promise<T> {
  // MySQL connections are set to READ COMMITTED when they open (src/db/index.ts).
  const options = db.dialect === 'sqlite' ? { type: Transaction.TYPES.IMMEDIATE } : {};
  for (let attempt = 1; ; attempt++) {
    let committing = false;
    const unit = async (transaction: Transaction) => {
      const result = await work(transaction);
      committing = true;
      return result;
    };
    try {
      if (db.writeQueue)
        return await db.writeQueue.runExclusive(() => db.sequelize.transaction(options, unit));
      return await db.sequelize.transaction(options, unit);
    } catch (error) {
      const retryable = isRetryableLockError(error) || (!committing && isLostConnection(error));
      if (attempt >= 5 || !retryable) throw error;
      await sleep(10 * attempt + Math.random() * 20);
    }
  }
}
