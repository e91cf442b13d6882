import type { Database } from '../../db/index.js';
import { loadPeople, type Person } from './people.js';
import { select } from './rows.js';

// The figures above the list. Each is a range over an index: the open and in-progress tickets,
// what closed in the last 30 days, the ratings of the last 30. Counting every closed ticket
// ever would read most of the table on every page view, so "closed" is the last 30 days.

const DAY = 86_400_000;
export const CLOSED_WINDOW_DAYS = 30;
export const RATING_WINDOW_DAYS = 30;

export interface TechnicianLoad {
  technician: Person;
  /** They set themselves Away in the App Home (auto-assignment passes them over). */
  away: boolean;
  open: number;
  inProgress: number;
  closedRecently: number;
  averageRating: number | null;
  ratingCount: number;
}

export interface HelpdeskSummary {
  open: number;
  inProgress: number;
  closedRecently: number;
  unassigned: number;
  technicians: TechnicianLoad[];
}

export async function loadSummary(db: Database, now = new Date()): Promise<HelpdeskSummary> {
  const closedSince = new Date(now.getTime() - CLOSED_WINDOW_DAYS * DAY);
  const ratedSince = new Date(now.getTime() - RATING_WINDOW_DAYS * DAY);
  const [active, closed, ratings, roster] = await Promise.all([
    select<{ status: string; technician_id: string | null; n: number }>(
      db,
      `SELECT status, technician_id, COUNT(*) AS n FROM tickets
       WHERE status IN ('open', 'in_progress') GROUP BY status, technician_id`,
    ),
    select<{ technician_id: string | null; n: number }>(
      db,
      'SELECT technician_id, COUNT(*) AS n FROM tickets WHERE closed_at >= :since GROUP BY technician_id',
      { since: closedSince },
    ),
    select<{ technician_id: string; average: number; n: number }>(
      db,
      `SELECT technician_id, AVG(score) AS average, COUNT(*) AS n FROM ratings
       WHERE created_at >= :since GROUP BY technician_id`,
      { since: ratedSince },
    ),
    select<{ id: string; away_since: unknown }>(
      db,
      'SELECT id, away_since FROM users WHERE is_technician = :yes',
      { yes: true },
    ),
  ]);

  const loads = new Map<string, Omit<TechnicianLoad, 'technician'>>();
  const loadOf = (id: string) => {
    let load = loads.get(id);
    if (!load) {
      load = { away: false, open: 0, inProgress: 0, closedRecently: 0, averageRating: null, ratingCount: 0 };
      loads.set(id, load);
    }
    return load;
  };
  for (const { id, away_since } of roster) loadOf(id).away = away_since !== null && away_since !== undefined;
  const summary: HelpdeskSummary = {
    open: 0,
    inProgress: 0,
    closedRecently: 0,
    unassigned: 0,
    technicians: [],
  };
  for (const row of active) {
    const n = Number(row.n);
    if (row.status === 'open') summary.open += n;
    else summary.inProgress += n;
    if (row.technician_id === null) summary.unassigned += n;
    else if (row.status === 'open') loadOf(row.technician_id).open += n;
    else loadOf(row.technician_id).inProgress += n;
  }
  for (const row of closed) {
    summary.closedRecently += Number(row.n);
    if (row.technician_id !== null) loadOf(row.technician_id).closedRecently += Number(row.n);
  }
  for (const row of ratings) {
    const load = loadOf(row.technician_id);
    load.averageRating = Number(row.average);
    load.ratingCount = Number(row.n);
  }
  const people = await loadPeople(db, loads.keys());
  summary.technicians = [...loads.entries()]
    .map(([id, load]) => ({ technician: people.get(id) ?? { id, name: id }, ...load }))
    .sort(
      (a, b) =>
        b.open + b.inProgress - (a.open + a.inProgress) || a.technician.name.localeCompare(b.technician.name),
    );
  return summary;
}

/**
 * The summary is the same for every viewer: each app keeps the last one for `ttlMs`, so a room of
 * managers refreshing the page costs one count every few seconds, not one per view. Concurrent
 * views share the count in flight; a failed count is not kept.
 */
export function cachedSummary(db: Database, ttlMs: number): () => Promise<HelpdeskSummary> {
  let cached: { at: number; summary: Promise<HelpdeskSummary> } | undefined;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at >= ttlMs) {
      const summary = loadSummary(db);
      cached = { at: now, summary };
      summary.catch(() => {
        if (cached?.summary === summary) cached = undefined;
      });
    }
    return cached.summary;
  };
}
