import { QueryTypes } from 'sequelize';
import type { Database } from '../../db/index.js';

// Raw, parameterised reads shared by the status page's loaders. SQLite hands dates back as text
// ("2026-11-26 15:02:00.000 +00:00"), MySQL as Date objects: both come out as Date.

export function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  const text = String(value);
  const iso = text.replace(' ', 'T').replace(/ ?([+-]\d\d:\d\d)$/, '$1');
  const date = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(date.getTime()) ? new Date(text) : date;
}

export function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

export function select<T extends object>(
  db: Database,
  sql: string,
  replacements: Record<string, unknown> = {},
): Promise<T[]> {
  return db.sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements });
}
