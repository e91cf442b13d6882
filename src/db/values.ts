// Values as SQL sees them on both dialects, for statements written by hand (src/db/sql.ts, the
// outbox queue, the status page's reads): SQLite keeps dates as text, MySQL as DATETIME.

/**
 * A date as Sequelize writes it into SQLite (and reads it back): `2026-11-26 17:56:15.039 +00:00`.
 * SQLite compares that text as text, so a bound date must have the same form.
 */
export function sqliteDate(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', ' +00:00');
}

/** A date read raw: a Date from MySQL, SQLite's text (with or without its offset) otherwise. */
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

// '!' escapes LIKE's wildcards: a backslash means different things in MySQL and SQLite literals.
function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}

/**
 * "`column` has a word that begins with `word`" (at its start, or after a space), as a condition
 * on the named parameters `:<name>Start` and `:<name>Inside` that `wordStartParams` fills in.
 */
export function wordStartCondition(column: string, name: string): string {
  return `(${column} LIKE :${name}Start ESCAPE '!' OR ${column} LIKE :${name}Inside ESCAPE '!')`;
}

export function wordStartParams(name: string, word: string): Record<string, string> {
  const escaped = escapeLike(word);
  return { [`${name}Start`]: `${escaped}%`, [`${name}Inside`]: `% ${escaped}%` };
}
