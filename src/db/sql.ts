import type { Transaction } from 'sequelize';
import type { Database } from './index.js';

// Hand-written statements for the few paths Slack waits on (a ticket's creation, its card's
// address), run through the driver on the connection Sequelize already holds. A Sequelize model
// call costs about 0.5 ms of CPU in query building and instance bookkeeping; the same statement
// through the driver about 0.07 ms, and a modal submission runs several. Everything else keeps
// using the models. Values are always passed as `?` parameters, never spliced into the SQL.

export type SqlValue = string | number | boolean | Date | null;

export interface WriteResult {
  /** The AUTO_INCREMENT / ROWID of an inserted row. */
  insertId: number;
  affectedRows: number;
}

type Done<T> = (error: Error | null, result: T) => void;
interface MysqlConnection {
  query(sql: string, values: SqlValue[], done: Done<unknown>): void;
}
interface SqliteConnection {
  all(sql: string, values: SqlValue[], done: Done<unknown[]>): void;
  run(
    sql: string,
    values: SqlValue[],
    done: (this: { lastID: number; changes: number }, error: Error | null) => void,
  ): void;
}

/** What Sequelize writes into SQLite for a DATE (and reads back): `2026-11-26 17:56:15.039 +00:00`. */
function sqliteValue(value: SqlValue): SqlValue {
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace('Z', ' +00:00');
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

function connectionOf(transaction: Transaction): unknown {
  const connection = (transaction as unknown as { connection?: unknown }).connection;
  if (!connection) throw new Error('The transaction has no connection (finished already?)');
  return connection;
}

/** INSERT / UPDATE / DELETE inside `transaction`. */
export function sqlWrite(
  db: Database,
  transaction: Transaction,
  sql: string,
  values: SqlValue[],
): Promise<WriteResult> {
  const connection = connectionOf(transaction);
  return new Promise((resolve, reject) => {
    if (db.dialect === 'sqlite') {
      (connection as SqliteConnection).run(sql, values.map(sqliteValue), function (error) {
        if (error) reject(error);
        else resolve({ insertId: this.lastID, affectedRows: this.changes });
      });
    } else {
      (connection as MysqlConnection).query(sql, values, (error, result) => {
        if (error) reject(error);
        else resolve(result as WriteResult);
      });
    }
  });
}

/** SELECT inside `transaction`; rows as plain objects (alias columns to attribute names). */
export function sqlRead<Row>(
  db: Database,
  transaction: Transaction,
  sql: string,
  values: SqlValue[],
): Promise<Row[]> {
  const connection = connectionOf(transaction);
  return new Promise((resolve, reject) => {
    const done: Done<unknown> = (error, rows) => (error ? reject(error) : resolve(rows as Row[]));
    if (db.dialect === 'sqlite') (connection as SqliteConnection).all(sql, values.map(sqliteValue), done);
    else (connection as MysqlConnection).query(sql, values, done);
  });
}

/**
 * One statement on its own (autocommit), on a connection from the pool. On SQLite it takes its
 * turn with the write transactions (db.writeQueue), as every writer there must.
 */
export function sqlWriteOnce(db: Database, sql: string, values: SqlValue[]): Promise<WriteResult> {
  const run = () => withConnection(db, (transaction) => sqlWrite(db, transaction, sql, values));
  return db.writeQueue ? db.writeQueue.runExclusive(run) : run();
}

/** One SELECT on a connection from the pool. */
export function sqlReadOnce<Row>(db: Database, sql: string, values: SqlValue[]): Promise<Row[]> {
  return withConnection(db, (transaction) => sqlRead<Row>(db, transaction, sql, values));
}

async function withConnection<T>(db: Database, work: (transaction: Transaction) => Promise<T>): Promise<T> {
  const manager = (
    db.sequelize as unknown as {
      connectionManager: {
        getConnection(options: { type: 'read' | 'write' }): Promise<unknown>;
        releaseConnection(connection: unknown): Promise<void>;
      };
    }
  ).connectionManager;
  const connection = await manager.getConnection({ type: 'write' });
  try {
    // sqlWrite/sqlRead only need `.connection` of what they are given.
    return await work({ connection } as unknown as Transaction);
  } finally {
    await manager.releaseConnection(connection);
  }
}
