import type { Model, ModelStatic, Transaction } from 'sequelize';
import { type Database, writeAlone } from './index.js';
import { sqliteDate, toDate } from './values.js';

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

function sqliteValue(value: SqlValue): SqlValue {
  if (value instanceof Date) return sqliteDate(value);
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
  return writeAlone(db, () => withConnection(db, (transaction) => sqlWrite(db, transaction, sql, values)));
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

// Rows ↔ model instances, for the same hot paths: the rules keep working on instances (they
// set fields, the change engine saves them), but the statements are written here.

type Kind = 'date' | 'boolean' | 'other';
interface Column {
  attribute: string;
  field: string;
  kind: Kind;
}
// biome-ignore lint/suspicious/noExplicitAny: any model class
type AnyModelClass = ModelStatic<any>;
const columnCache = new WeakMap<AnyModelClass, Column[]>();

function columnsOf(model: AnyModelClass): Column[] {
  let columns = columnCache.get(model);
  if (!columns) {
    columns = Object.entries(model.getAttributes()).map(([attribute, definition]) => {
      const key = (definition.type as { key?: string }).key;
      return {
        attribute,
        field: definition.field ?? attribute,
        kind: key === 'DATE' ? 'date' : key === 'BOOLEAN' ? 'boolean' : 'other',
      };
    });
    columnCache.set(model, columns);
  }
  return columns;
}

/**
 * An instance from a row read with `SELECT *`, as if the model had read it: SQLite's date
 * strings become Dates, 0/1 become booleans. It is not new: `save()` and `changed()` work.
 */
export function fromRow<M extends Model>(model: ModelStatic<M>, row: Record<string, unknown>): M {
  const values: Record<string, unknown> = {};
  for (const { attribute, field, kind } of columnsOf(model)) {
    const value = row[field];
    if (value === null || value === undefined) values[attribute] = value ?? null;
    else if (kind === 'date') values[attribute] = toDate(value);
    else if (kind === 'boolean') values[attribute] = Boolean(value);
    else values[attribute] = value;
  }
  return model.build(values as never, { isNewRecord: false, raw: true });
}

/** INSERT of `values` (attribute names) into the model's table; returns the new row as an instance. */
export async function insertRow<M extends Model>(
  db: Database,
  transaction: Transaction,
  model: ModelStatic<M>,
  values: Record<string, SqlValue>,
): Promise<M> {
  const columns = columnsOf(model).filter((column) => column.attribute in values);
  const { insertId } = await sqlWrite(
    db,
    transaction,
    `INSERT INTO ${model.getTableName() as string} (${columns.map((c) => c.field).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    columns.map((column) => values[column.attribute] as SqlValue),
  );
  return model.build({ id: insertId, ...values } as never, { isNewRecord: false, raw: true });
}

/** UPDATE of the fields changed on `instance` (by primary key `id`); `updatedAt` is set when the model has it. */
export async function saveChanged(db: Database, transaction: Transaction, instance: Model): Promise<void> {
  const model = instance.constructor as AnyModelClass;
  const changed = instance.changed();
  if (!changed || changed.length === 0) return;
  const columns = columnsOf(model);
  const values = instance.get({ plain: true }) as Record<string, SqlValue>;
  if (columns.some((column) => column.attribute === 'updatedAt')) {
    values.updatedAt = new Date();
    instance.set('updatedAt' as never, values.updatedAt as never, { raw: true });
    if (!changed.includes('updatedAt')) changed.push('updatedAt');
  }
  const set = columns.filter((column) => changed.includes(column.attribute));
  await sqlWrite(
    db,
    transaction,
    `UPDATE ${model.getTableName() as string} SET ${set.map((c) => `${c.field} = ?`).join(', ')} WHERE id = ?`,
    [...set.map((column) => values[column.attribute] as SqlValue), values.id as SqlValue],
  );
  for (const attribute of changed) instance.changed(attribute as never, false);
}
