import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { hasTitleFulltext } from '../../db/fulltext.js';
import type { Database } from '../../db/index.js';
import { toDate } from '../../db/values.js';
import { loadPeople } from './people.js';
import { select } from './rows.js';
import type { TicketFilters } from './ticketFilters.js';
import { filterConditions, type ListScope, loadTypeNames, whereClause } from './ticketList.js';
import { titleSearch } from './titleSearch.js';

// The ticket list as CSV (issue 15 §4): the list's filters and scope, every matching row, read
// in keyset batches by id and written with backpressure, so 100,000 rows take the memory of one
// batch. RFC 4180 (CRLF, a header row, quoted fields) in UTF-8 with a byte-order mark: without
// it Excel reads the file as the local code page and mangles every accent.

export const CSV_BATCH_SIZE = 500;

/** The header row, in the rows' order; `request_type` only once request types exist. */
export const CSV_COLUMNS = [
  'id',
  'title',
  'status',
  'priority',
  'request_type',
  'requester',
  'technician',
  'created',
  'updated',
  'closed',
  'rating',
] as const;

/** `tickets-YYYY-MM-DD.csv`, the day in UTC like the file's times. */
export const csvFileName = (now: Date) => `tickets-${now.toISOString().slice(0, 10)}.csv`;

/** The UTF-8 byte-order mark Excel needs to read the file as UTF-8. */
const BOM = '\uFEFF';

/**
 * A cell a spreadsheet would run as a formula (= + - @, or a tab or CR before one) gets a
 * leading single quote, as OWASP's "CSV Injection" advises: the text shows, nothing runs.
 */
export function neutralised(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** CSV lines for these records: CRLF ends; a field with a comma, quote, CR or LF quoted, quotes doubled. */
export function csvLines(records: string[][]): string {
  return stringify(
    records.map((record) => record.map(neutralised)),
    // csv-stringify quotes a field holding the whole record delimiter, not a lone CR or LF.
    { record_delimiter: 'windows', quoted_match: /[\r\n]/ },
  );
}

interface RawCsvTicket {
  id: number;
  title: string;
  status: string;
  priority: string;
  requester_id: string;
  technician_id: string | null;
  request_type_id: number | string | null;
  created_at: unknown;
  last_activity_at: unknown;
  closed_at: unknown;
}

const iso = (value: unknown) => (value === null || value === undefined ? '' : toDate(value).toISOString());

async function writeChunk(res: Writable, chunk: string): Promise<void> {
  if (res.write(chunk)) return;
  // A client that goes away never drains: 'close' ends the wait too. The listener that did not
  // fire is removed (the signal), or each wait of a long export would leave two behind.
  const done = new AbortController();
  try {
    await Promise.race([
      once(res, 'drain', { signal: done.signal }),
      once(res, 'close', { signal: done.signal }),
    ]);
  } finally {
    done.abort();
  }
}

/**
 * Writes the tickets these filters and this scope list (any cursor ignored: all of them) to
 * `res` as CSV rows, oldest ticket first; stops when the client disconnects.
 */
export async function writeTicketsCsv(
  db: Database,
  filters: TicketFilters,
  scope: ListScope,
  res: Writable,
  { withTypes, header }: { withTypes: boolean; header: readonly string[] },
): Promise<void> {
  await writeChunk(res, BOM + csvLines([[...header]]));
  const conditions = await filterConditions(db, filters, scope);
  if (!conditions) return;
  const search = filters.q ? titleSearch(filters.q, await hasTitleFulltext(db)) : undefined;
  const where = [
    ...conditions.where,
    ...(search?.fulltext ? [search.fulltext] : []),
    ...(search?.like ?? []),
    't.id > :afterId',
  ];
  const params: Record<string, unknown> = { ...conditions.params, ...search?.params, afterId: 0 };
  while (!res.destroyed) {
    const rows = await select<RawCsvTicket>(
      db,
      `SELECT t.id, t.title, t.status, t.priority, t.requester_id, t.technician_id, t.request_type_id,
              t.created_at, t.last_activity_at, t.closed_at
         FROM tickets t ${whereClause(where)} ORDER BY t.id ASC LIMIT ${CSV_BATCH_SIZE}`,
      params,
    );
    if (rows.length === 0) return;
    const ids = rows.map((row) => Number(row.id));
    const [people, types, ratings] = await Promise.all([
      loadPeople(
        db,
        rows.flatMap((row) => [row.requester_id, row.technician_id]),
      ),
      withTypes
        ? loadTypeNames(
            db,
            rows.map((row) => row.request_type_id),
          )
        : new Map(),
      // A reopened ticket may be rated once per resolution: the latest counts.
      select<{ ticket_id: number; score: number }>(
        db,
        'SELECT ticket_id, score FROM ratings WHERE ticket_id IN (:ids) ORDER BY id ASC',
        { ids },
      ),
    ]);
    const scores = new Map(ratings.map((rating) => [Number(rating.ticket_id), String(rating.score)]));
    const nameOf = (id: string | null) => (id ? (people.get(id)?.name ?? id) : '');
    const records = rows.map((row) => [
      String(row.id),
      row.title,
      row.status,
      row.priority,
      ...(withTypes
        ? [row.request_type_id === null ? '' : (types.get(Number(row.request_type_id))?.name ?? '')]
        : []),
      nameOf(row.requester_id),
      nameOf(row.technician_id),
      iso(row.created_at),
      iso(row.last_activity_at),
      iso(row.closed_at),
      scores.get(Number(row.id)) ?? '',
    ]);
    if (res.destroyed) return;
    await writeChunk(res, csvLines(records));
    if (rows.length < CSV_BATCH_SIZE) return;
    params.afterId = ids[ids.length - 1];
  }
}
