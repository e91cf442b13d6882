import { type QueryInterface, QueryTypes } from 'sequelize';
import type { Database } from './index.js';

// FULLTEXT is optional. The status page's title search narrows its rows with the FULLTEXT index
// on tickets.title when the database has it, and otherwise decides by LIKE alone (as on SQLite).
// Some servers cannot make it, and the migration goes on without it:
// - 1214 ER_TABLE_CANT_HANDLE_FT: the table's engine has no FULLTEXT (MyRocks, MEMORY, NDB);
// - 1235 ER_NOT_SUPPORTED_YET: "This version of MySQL doesn't yet support …" (TiDB, and other
//   MySQL-compatible servers answer FULLTEXT this way);
// - 1757 ER_INNODB_FT_LIMIT and relatives: InnoDB refuses the index in this configuration.
// (https://mariadb.com/kb/en/mariadb-error-codes/)
const NO_FULLTEXT_ERRNOS = new Set([1214, 1235, 1757]);

export const TITLE_FULLTEXT_INDEX = 'tickets_title_fulltext';

function errnoOf(error: unknown): number | undefined {
  for (const part of [
    error,
    (error as { parent?: unknown })?.parent,
    (error as { original?: unknown })?.original,
  ]) {
    const errno = (part as { errno?: unknown } | undefined)?.errno;
    if (typeof errno === 'number') return errno;
  }
  return undefined;
}

/**
 * Adds a FULLTEXT index on MySQL/MariaDB; true when it exists afterwards, false when the server
 * cannot make one (the errors above). Any other error is thrown.
 */
export async function addFulltextIndexIfSupported(
  qi: QueryInterface,
  table: string,
  index: string,
  column: string,
): Promise<boolean> {
  if (qi.sequelize.getDialect() === 'sqlite') return false;
  try {
    await qi.sequelize.query(`ALTER TABLE \`${table}\` ADD FULLTEXT INDEX \`${index}\` (\`${column}\`)`);
    return true;
  } catch (error) {
    const errno = errnoOf(error);
    if (errno !== undefined && NO_FULLTEXT_ERRNOS.has(errno)) return false;
    throw error;
  }
}

/** Whether the index exists (it may not: see above). */
export async function hasIndex(qi: QueryInterface, table: string, index: string): Promise<boolean> {
  if (qi.sequelize.getDialect() === 'sqlite') return false;
  const rows = await qi.sequelize.query(
    `SELECT 1 AS found FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :table AND INDEX_NAME = :index LIMIT 1`,
    { replacements: { table, index }, type: QueryTypes.SELECT },
  );
  return rows.length > 0;
}

const known = new WeakMap<Database, boolean>();

/** Whether the title search may use the FULLTEXT index; asked once per database handle. */
export async function hasTitleFulltext(db: Database): Promise<boolean> {
  if (db.dialect !== 'mysql') return false;
  const cached = known.get(db);
  if (cached !== undefined) return cached;
  const found = await hasIndex(db.sequelize.getQueryInterface(), 'tickets', TITLE_FULLTEXT_INDEX);
  known.set(db, found);
  return found;
}

/** Asks again next time (after the index was added or dropped behind this handle's back). */
export function forgetTitleFulltext(db: Database): void {
  known.delete(db);
}
