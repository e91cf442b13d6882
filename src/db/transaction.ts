import { setTimeout as sleep } from 'node:timers/promises';
import { Transaction } from 'sequelize';
import type { Database } from './index.js';

// What a failed statement says, wherever it was run. Statements run through src/db/sql.ts reject
// with the driver's own error (mysql2 puts `errno`, `code` and `fatal` on it; sqlite3 `code`);
// statements run by Sequelize (BEGIN, COMMIT, model calls) reject with a Sequelize error that
// carries the driver's error as `parent` (and `original`).
interface DriverError {
  errno?: number;
  code?: string;
  fatal?: boolean;
}

function driverErrorsOf(error: unknown): DriverError[] {
  if (typeof error !== 'object' || error === null) return [];
  const { parent, original } = error as { parent?: unknown; original?: unknown };
  return [error, parent, original].filter(
    (candidate): candidate is DriverError => typeof candidate === 'object' && candidate !== null,
  );
}

/**
 * The server rolled the whole transaction back, so running it again from the start is safe,
 * whenever it happened (COMMIT included):
 * - 1213 ER_LOCK_DEADLOCK: InnoDB chose this transaction as a deadlock victim. Galera reports
 *   a certification conflict the same way, at COMMIT ("ERROR 40001: Deadlock: wsrep aborted
 *   transaction", MariaDB's galera_certification_double_failure test result,
 *   https://github.com/MariaDB/server/commit/4d9ec7cb6c).
 * - 1205 ER_LOCK_WAIT_TIMEOUT: a row lock was not granted in innodb_lock_wait_timeout. InnoDB
 *   rolls back only the statement, not the transaction; runInTransaction rolls back the rest.
 * - SQLITE_BUSY: another connection holds SQLite's write lock (BEGIN IMMEDIATE refused).
 */
const LOCK_ERRNOS = new Set([1213, 1205]);

export function isRetryableLockError(error: unknown): boolean {
  return driverErrorsOf(error).some(
    (e) => (e.errno !== undefined && LOCK_ERRNOS.has(e.errno)) || e.code === 'SQLITE_BUSY',
  );
}

/**
 * 1047 ER_UNKNOWN_COM_ERROR, "WSREP has not yet prepared node for application use": a Galera
 * node that left the primary component (partitioned, or shutting down) refuses every statement
 * and commits nothing (https://mariadb.com/kb/en/galera-cluster-system-variables/#wsrep_ready).
 * The transaction is run again on a new connection, which the load balancer sends to a node
 * still in the cluster: the connection that met it is closed rather than returned to the pool.
 */
export function isNodeNotReady(error: unknown): boolean {
  return driverErrorsOf(error).some((e) => e.errno === 1047);
}

/**
 * The connection was lost while COMMIT was under way: the server may have committed the
 * transaction or not, and nothing here can tell which. Never retried (that could write twice);
 * the caller checks by something the transaction wrote (a submission's key) what happened.
 */
export class CommitOutcomeUnknown extends Error {
  readonly fatal = true;
  constructor(cause: unknown) {
    super('The database connection was lost during COMMIT: the transaction may or may not be stored', {
      cause,
    });
    this.name = 'CommitOutcomeUnknown';
  }
}

/**
 * The connection broke: the server restarted, failed over, or killed it (KILL CONNECTION,
 * wait_timeout). mysql2 marks such errors `fatal`; a statement under way when the server killed
 * its connection gets the server's own error first (MariaDB 1927 ER_CONNECTION_KILLED, MySQL
 * 8.0.24+ 4031 for an idle timeout), and the client's 2006/2013 (server gone, lost) are the same.
 * The pool may hand out a connection whose end it has not noticed yet, so the first transaction
 * after an outage meets it.
 */
const LOST_ERRNOS = new Set([1927, 2006, 2013, 4031]);
const LOST_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE']);

export function isLostConnection(error: unknown): boolean {
  return driverErrorsOf(error).some(
    (e) =>
      e.fatal === true ||
      (e.errno !== undefined && LOST_ERRNOS.has(e.errno)) ||
      (e.code !== undefined && LOST_CODES.has(e.code)),
  );
}

/** Thrown before COMMIT is sent on a connection already known to be dead: nothing was committed. */
class LostBeforeCommit extends Error {
  readonly fatal = true;
  constructor() {
    super('The database connection was lost before COMMIT');
  }
}

/** mysql2's connection state ('error' after a fatal error, 'disconnected' once closed). */
function connectionIsDead(transaction: Transaction): boolean {
  const connection = (transaction as unknown as { connection?: { state?: unknown } }).connection;
  const state = connection?.state;
  return state === 'error' || state === 'disconnected';
}

export const TRANSACTION_ATTEMPTS = 5;

/**
 * Runs `work` in one transaction. On SQLite the transaction is IMMEDIATE: it takes the write
 * lock up front, so two writers queue instead of deadlocking when both try to upgrade a read
 * lock. On MySQL the isolation is READ COMMITTED: a rule that waited for a row lock must then see
 * what the previous holder committed (under REPEATABLE READ its plain reads would still show the
 * snapshot from before the wait).
 *
 * A transaction the server rolled back (a deadlock victim, a lock wait timeout, SQLite's lock
 * held elsewhere) is run again from the start, up to five attempts in all, and so is one whose
 * connection was lost before COMMIT was sent (the server rolls back what a dead connection left),
 * and one a Galera node refused because it left the cluster (1047; on a new connection).
 * Galera's certification failures arrive as 1213 and are retried as deadlocks. A connection lost
 * while COMMIT was under way may have committed: CommitOutcomeUnknown is thrown, never retried,
 * so nothing is written twice.
 */
export async function runInTransaction<T>(
  db: Database,
  work: (transaction: Transaction) => Promise<T>,
): Promise<T> {
  // MySQL: READ COMMITTED is asked of each transaction (SET TRANSACTION ISOLATION LEVEL, sent
  // right before its START TRANSACTION on the same connection), not set once on the session: a
  // pooler that hands transactions to whichever server connection is free (ProxySQL's
  // multiplexing, a proxy in transaction mode) does not carry session settings with them.
  const options =
    db.dialect === 'sqlite'
      ? { type: Transaction.TYPES.IMMEDIATE }
      : { isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED };
  for (let attempt = 1; ; attempt++) {
    let committing = false;
    let connection: { destroy?: () => void } | undefined;
    const unit = async (transaction: Transaction) => {
      connection = (transaction as unknown as { connection?: { destroy?: () => void } }).connection;
      const result = await work(transaction);
      // Sequelize sends COMMIT as soon as this returns. A connection already dead would fail it
      // without sending anything, but the error would look like one lost mid-COMMIT.
      if (connectionIsDead(transaction)) throw new LostBeforeCommit();
      committing = true;
      return result;
    };
    try {
      if (db.writeQueue)
        return await db.writeQueue.runExclusive(() => db.sequelize.transaction(options, unit));
      return await db.sequelize.transaction(options, unit);
    } catch (error) {
      const notReady = isNodeNotReady(error);
      // Closed, so the pool drops it and the next attempt connects afresh.
      if (notReady) connection?.destroy?.();
      const lost = isLostConnection(error);
      if (committing && lost && !notReady) throw new CommitOutcomeUnknown(error);
      const retryable = isRetryableLockError(error) || notReady || (!committing && lost);
      if (attempt >= TRANSACTION_ATTEMPTS || !retryable) throw error;
      await sleep(10 * attempt + Math.random() * 20);
    }
  }
}
