import { QueryTypes } from 'sequelize';
import type { Database } from '../../db/index.js';

// Raw, parameterised reads shared by the status page's loaders (dates read raw come out as Date
// through toDate, src/db/values.ts).

export function select<T extends object>(
  db: Database,
  sql: string,
  replacements: Record<string, unknown> = {},
): Promise<T[]> {
  return db.sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements });
}
