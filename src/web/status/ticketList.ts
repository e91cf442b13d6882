import { hasTitleFulltext } from '../../db/fulltext.js';
import type { Database } from '../../db/index.js';
import type { Priority, Status } from '../../db/models/ticket.js';
import { toDate } from '../../db/values.js';
import { durationParts, type SlaStandingKind, slaStanding } from '../../sla/standing.js';
import { findPeopleByName, loadPeople, type Person } from './people.js';
import { select } from './rows.js';
import type { Sort, TicketFilters } from './ticketFilters.js';
import { type TitleSearch, titleSearch } from './titleSearch.js';

// One page of the ticket list. Pagination is by keyset (the last row's sort value and id), so
// page 2,000 costs what page 1 costs: each variant is one ordered range over an index.

export const PAGE_SIZE = 50;

export interface TicketRow {
  id: number;
  title: string;
  status: Status;
  priority: Priority;
  requester: Person;
  technician: Person | null;
  /** The ticket's request type (none: null); `isPrivate` for what private types keep out of view. */
  requestType: TypeName | null;
  createdAt: Date;
  lastActivityAt: Date;
  /** What its service-level clocks say now (none: null), shown in the viewer's time zone. */
  serviceLevel: ServiceLevel | null;
}

/** A ticket's service-level standing, with the texts' names for its parts (common.json "sla.*"). */
export interface ServiceLevel {
  kind: SlaStandingKind;
  due: Date;
  span: { key: 'sla.days' | 'sla.hours' | 'sla.minutes'; values: ReturnType<typeof durationParts> };
}

/** The SLA columns a standing is read from, as `SELECT t.*` or COLUMNS gives them. */
export interface RawClocks {
  status: string;
  first_response_at: unknown;
  sla_response_due_at: unknown;
  sla_response_missed_at: unknown;
  sla_resolution_due_at: unknown;
  sla_resolution_met_at: unknown;
  sla_resolution_missed_at: unknown;
}

const dateOrNull = (value: unknown) => (value === null || value === undefined ? null : toDate(value));

export function serviceLevelOf(row: RawClocks, now = new Date()): ServiceLevel | null {
  const standing = slaStanding(
    {
      status: row.status,
      firstResponseAt: dateOrNull(row.first_response_at),
      slaResponseDueAt: dateOrNull(row.sla_response_due_at),
      slaResponseMissedAt: dateOrNull(row.sla_response_missed_at),
      slaResolutionDueAt: dateOrNull(row.sla_resolution_due_at),
      slaResolutionMetAt: dateOrNull(row.sla_resolution_met_at),
      slaResolutionMissedAt: dateOrNull(row.sla_resolution_missed_at),
    },
    now,
  );
  if (!standing) return null;
  const values = durationParts(standing.minutes);
  const key = values.days > 0 ? 'sla.days' : values.hours > 0 ? 'sla.hours' : 'sla.minutes';
  return { kind: standing.kind, due: standing.due, span: { key, values } };
}

export interface TypeName {
  id: number;
  name: string;
  isPrivate: boolean;
}

export interface TicketPage {
  tickets: TicketRow[];
  /** Cursor for the next / previous page, absent at either end. */
  nextCursor?: string;
  previousCursor?: string;
  /** The requester text matched nobody. */
  unknownRequester?: string;
}

interface RawTicket extends RawClocks {
  id: number;
  title: string;
  status: Status;
  priority: Priority;
  requester_id: string;
  technician_id: string | null;
  request_type_id: number | string | null;
  created_at: unknown;
  last_activity_at: unknown;
}

const SORT_COLUMNS: Record<Sort, { byActivity: boolean; descending: boolean }> = {
  activity_desc: { byActivity: true, descending: true },
  activity_asc: { byActivity: true, descending: false },
  created_desc: { byActivity: false, descending: true },
  created_asc: { byActivity: false, descending: false },
};

function cursorOf(row: RawTicket, byActivity: boolean): string {
  return byActivity ? `${toDate(row.last_activity_at).getTime()}.${row.id}` : String(row.id);
}

function parseCursor(cursor: string, byActivity: boolean): { at?: Date; id: number } | undefined {
  const [first = '', second] = cursor.split('.');
  if (!byActivity) return second === undefined ? { id: Number(first) } : undefined;
  if (second === undefined) return undefined;
  return { at: new Date(Number(first)), id: Number(second) };
}

const COLUMNS =
  't.id, t.title, t.status, t.priority, t.requester_id, t.technician_id, t.request_type_id, t.created_at, t.last_activity_at, ' +
  't.first_response_at, t.sla_response_due_at, t.sla_response_missed_at, t.sla_resolution_due_at, t.sla_resolution_met_at, t.sla_resolution_missed_at';

/**
 * A search first looks through the next SEARCH_WINDOW tickets in display order: a word found in
 * more than ~2.5% of titles fills the page from there at once (about 10 ms at 100k tickets).
 * Only when it does not is the FULLTEXT index asked: quick for rare words, but it reads and
 * sorts every match, which for a common word costs 40 ms and more.
 */
const SEARCH_WINDOW = 2000;

export interface Conditions {
  where: string[];
  params: Record<string, unknown>;
}

/** Whose tickets a viewer may list: a requester signed in with Slack sees only their own. */
export interface ListScope {
  requesterId?: string;
  /** Leave out tickets of private request types (a viewer who is not staff signed in with Slack). */
  withoutPrivate?: boolean;
}

/**
 * A ticket of a private request type (issue 14 §4), as an SQL condition on `t`. Its type's
 * privacy as it is now: a type made public later shows its tickets.
 */
export const PRIVATE_TICKET =
  'EXISTS (SELECT 1 FROM request_types rt WHERE rt.id = t.request_type_id AND rt.is_private = :privateFlag)';

/** The filters as SQL conditions; undefined when the requester text matches nobody. */
export async function filterConditions(
  db: Database,
  filters: TicketFilters,
  scope: ListScope,
): Promise<Conditions | undefined> {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (scope.requesterId !== undefined) {
    where.push('t.requester_id = :scopeRequester');
    params.scopeRequester = scope.requesterId;
  }
  if (scope.withoutPrivate) {
    where.push(`NOT ${PRIVATE_TICKET}`);
    params.privateFlag = true;
  }
  if (filters.status) {
    where.push('t.status = :status');
    params.status = filters.status;
  }
  if (filters.priority) {
    where.push('t.priority = :priority');
    params.priority = filters.priority;
  }
  if (filters.technician === 'none') {
    where.push('t.technician_id IS NULL');
  } else if (filters.technician) {
    where.push('t.technician_id = :technician');
    params.technician = filters.technician;
  }
  if (filters.type === 'none') {
    where.push('t.request_type_id IS NULL');
  } else if (filters.type) {
    where.push('t.request_type_id = :requestType');
    params.requestType = Number(filters.type);
  }
  if (filters.requester) {
    const ids = await findPeopleByName(db, filters.requester);
    if (ids.length === 0) return undefined;
    where.push('t.requester_id IN (:requesters)');
    params.requesters = ids;
  }
  return { where, params };
}

export const whereClause = (conditions: string[]) =>
  conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';

/** Up to `limit` rows in `orderBy` order that meet `where` and the search. */
async function readRows(
  db: Database,
  { where, params }: Conditions,
  search: TitleSearch | undefined,
  orderBy: string,
  limit: number,
): Promise<RawTicket[]> {
  const all = { ...params, ...search?.params };
  if (search?.fulltext) {
    // The window is picked by id alone so it is read from the ordering index, not the table.
    const fromWindow = await select<RawTicket>(
      db,
      `SELECT ${COLUMNS} FROM tickets t
       JOIN (SELECT t.id FROM tickets t ${whereClause(where)} ORDER BY ${orderBy} LIMIT ${SEARCH_WINDOW}) recent
         ON recent.id = t.id
       ${whereClause(search.like)} ORDER BY ${orderBy} LIMIT ${limit}`,
      all,
    );
    if (fromWindow.length === limit) return fromWindow;
  }
  const conditions = [...where, ...(search?.fulltext ? [search.fulltext] : []), ...(search?.like ?? [])];
  return select<RawTicket>(
    db,
    `SELECT ${COLUMNS} FROM tickets t ${whereClause(conditions)} ORDER BY ${orderBy} LIMIT ${limit}`,
    all,
  );
}

/** Every request type (archived ones too: their tickets keep them), by name, for the type filter. */
export async function listTypeNames(db: Database): Promise<TypeName[]> {
  const rows = await db.models.RequestType.findAll({
    attributes: ['id', 'name', 'isPrivate'],
    order: [['name', 'ASC']],
  });
  return rows.map((row) => ({ id: row.id, name: row.name, isPrivate: Boolean(row.isPrivate) }));
}

/**
 * The answers a ticket keeps (its `request_fields` JSON: `[{id, label, value}]`), label and
 * value only; anything malformed is left out.
 */
export function answersOf(json: string | null | undefined): Array<{ label: string; value: string }> {
  if (!json) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((item: unknown) => {
    const field = item as { label?: unknown; value?: unknown } | null;
    return typeof field?.label === 'string' && typeof field.value === 'string'
      ? [{ label: field.label, value: field.value }]
      : [];
  });
}

/** The names of these request types (archived ones too: their tickets keep them), by id. */
export async function loadTypeNames(
  db: Database,
  ids: Array<number | string | null>,
): Promise<Map<number, TypeName>> {
  const wanted = [...new Set(ids.filter((id) => id !== null).map(Number))];
  if (wanted.length === 0) return new Map();
  const rows = await db.models.RequestType.findAll({
    where: { id: wanted },
    attributes: ['id', 'name', 'isPrivate'],
  });
  return new Map(
    rows.map((row) => [row.id, { id: row.id, name: row.name, isPrivate: Boolean(row.isPrivate) }]),
  );
}

export async function loadTicketPage(
  db: Database,
  filters: TicketFilters,
  scope: ListScope = {},
): Promise<TicketPage> {
  const conditions = await filterConditions(db, filters, scope);
  if (!conditions) return { tickets: [], unknownRequester: filters.requester };
  const { where, params } = conditions;
  const search = filters.q ? titleSearch(filters.q, await hasTitleFulltext(db)) : undefined;

  const { byActivity, descending } = SORT_COLUMNS[filters.sort];
  const goingBack = Boolean(filters.before) && !filters.after;
  const cursorText = filters.after ?? filters.before;
  const cursor = cursorText ? parseCursor(cursorText, byActivity) : undefined;
  // Reading backwards (the previous page) flips the comparison and the order; rows are put
  // back in display order afterwards.
  const scanDescending = goingBack ? !descending : descending;
  const cmp = scanDescending ? '<' : '>';
  if (cursor) {
    params.cursorId = cursor.id;
    if (byActivity && cursor.at) {
      params.cursorAt = cursor.at;
      // The outer `<=` gives the optimiser a range on the index; the OR settles ties by id.
      where.push(
        `t.last_activity_at ${cmp}= :cursorAt AND (t.last_activity_at ${cmp} :cursorAt OR t.id ${cmp} :cursorId)`,
      );
    } else {
      where.push(`t.id ${cmp} :cursorId`);
    }
  }
  const direction = scanDescending ? 'DESC' : 'ASC';
  const orderBy = byActivity ? `t.last_activity_at ${direction}, t.id ${direction}` : `t.id ${direction}`;
  const fetched = await readRows(db, conditions, search, orderBy, PAGE_SIZE + 1);
  const hasMore = fetched.length > PAGE_SIZE;
  const rows = fetched.slice(0, PAGE_SIZE);
  if (goingBack) rows.reverse();

  const [people, types] = await Promise.all([
    loadPeople(
      db,
      rows.flatMap((row) => [row.requester_id, row.technician_id]),
    ),
    loadTypeNames(
      db,
      rows.map((row) => row.request_type_id),
    ),
  ]);
  const now = new Date();
  const tickets = rows.map((row) => ({
    id: Number(row.id),
    title: row.title,
    status: row.status,
    priority: row.priority,
    requester: people.get(row.requester_id) ?? { id: row.requester_id, name: row.requester_id },
    technician: row.technician_id ? (people.get(row.technician_id) ?? null) : null,
    requestType: row.request_type_id === null ? null : (types.get(Number(row.request_type_id)) ?? null),
    createdAt: toDate(row.created_at),
    lastActivityAt: toDate(row.last_activity_at),
    serviceLevel: serviceLevelOf(row, now),
  }));
  const first = rows[0];
  const last = rows[rows.length - 1];
  const moreAfter = goingBack ? Boolean(cursor) : hasMore;
  const moreBefore = goingBack ? hasMore : Boolean(cursor);
  return {
    tickets,
    nextCursor: moreAfter && last ? cursorOf(last, byActivity) : undefined,
    previousCursor: moreBefore && first ? cursorOf(first, byActivity) : undefined,
  };
}
