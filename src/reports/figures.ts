import { DateTime } from 'luxon';
import { QueryTypes, type Transaction } from 'sequelize';
import type { Database } from '../db/index.js';
import { displayName } from '../db/models/user.js';

// The figures of the reports page (src/web/status/routes.ts, /reports) and the digest's headline
// (src/notifications/digest.ts). Everything is read from what the tickets already keep:
// - opened per day: tickets.created_at;
// - closed and reopened per day: the history (ticket_events: status_changed to closed, reopened);
// - the open backlog at the end of each day: counted back from today's, day by day
//   (backlog before a day = backlog after it - opened + closed - reopened);
// - first-response and resolution times: first_response_at and closed_at minus created_at, in
//   elapsed (calendar) time, each in the week it happened (the service levels' business time is
//   what the targets count; these say how long people waited);
// - share within target: targets met / (met + missed), in the week each was settled;
// - ratings: each technician's average per week, in the week the rating was given.
// Days and weeks (ISO, from Monday) are the viewer's, in their time zone. Each statement is a
// range over one index; rows come back as epoch seconds and are bucketed here against the
// boundaries worked out once with luxon (daylight-saving days are 23 or 25 hours long).

export const REPORT_DAYS = [30, 90] as const;
export type ReportDays = (typeof REPORT_DAYS)[number];

export interface DayFigures {
  /** The day, yyyy-mm-dd in the report's time zone. */
  day: string;
  opened: number;
  closed: number;
  reopened: number;
  /** Tickets not closed at the end of the day (now, for today). */
  backlog: number;
}

export interface Durations {
  count: number;
  /** Seconds; null without any. */
  median: number | null;
  p90: number | null;
}

export interface TargetShare {
  met: number;
  missed: number;
  /** met / (met + missed), 0…1; null when none was settled. */
  share: number | null;
}

export interface WeekFigures {
  /** The week's Monday, yyyy-mm-dd. */
  week: string;
  /** The week began before the report's first day or is still going. */
  partial: boolean;
  firstResponse: Durations;
  resolution: Durations;
  responseTarget: TargetShare;
  resolutionTarget: TargetShare;
}

export interface TechnicianRatings {
  technician: { id: string; name: string };
  /** One per week of the report, in order. */
  weeks: Array<{ average: number | null; count: number }>;
  average: number;
  count: number;
}

export interface Report {
  days: ReportDays;
  timeZone: string;
  /** The first day's start and now. */
  from: Date;
  to: Date;
  daily: DayFigures[];
  weekly: WeekFigures[];
  ratings: TechnicianRatings[];
  /** The report's days as one period (from its first day, not its first week's Monday). */
  overall: PeriodFigures & { opened: number; closed: number; reopened: number; backlog: number };
}

/** The headline for a period: what the digest shows. */
export interface PeriodFigures {
  firstResponse: Durations;
  resolution: Durations;
  responseTarget: TargetShare;
  resolutionTarget: TargetShare;
  /** Every rating given in the period. */
  rating: { average: number | null; count: number };
}

/** Epoch seconds of a date column, on either dialect (SQLite keeps `yyyy-mm-dd hh:mm:ss.sss +00:00`). */
function epoch(db: Database, column: string): string {
  return db.dialect === 'sqlite'
    ? `CAST(strftime('%s', substr(${column}, 1, 19)) AS INTEGER)`
    : // The connection's time zone is UTC (src/db/index.ts), so this is the stored instant.
      `UNIX_TIMESTAMP(${column})`;
}

function select<T extends object>(
  db: Database,
  sql: string,
  replacements: Record<string, unknown>,
  transaction?: Transaction,
) {
  return db.sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements, transaction });
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

function durations(values: number[]): Durations {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, median: percentile(sorted, 50), p90: percentile(sorted, 90) };
}

function share(met: number, missed: number): TargetShare {
  return { met, missed, share: met + missed === 0 ? null : met / (met + missed) };
}

/** Which bucket an instant falls in: boundaries ascending (seconds), bucket i = [b[i], b[i+1]). */
function bucketOf(boundaries: number[], at: number): number {
  let low = 0;
  let high = boundaries.length - 1;
  if (at < boundaries[0]!) return -1;
  // Up to now, and a moment stored a little after it (MySQL rounds a DATETIME to the second) is now's.
  if (at >= boundaries[high - 1]!) return high - 1;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (at >= boundaries[middle]!) low = middle;
    else high = middle;
  }
  return low;
}

interface Timed {
  t: number | string;
}
interface TimedDuration extends Timed {
  d: number | string | null;
}

/** The per-ticket times settled in [from, to) (to: none, up to now): durations and targets, as epoch seconds. */
async function settledRows(db: Database, from: Date, to?: Date, transaction?: Transaction) {
  const range = to ? { from, to } : { from };
  const until = (column: string) => (to ? ` AND ${column} < :to` : '');
  const e = (column: string) => epoch(db, column);
  const [responses, resolutions, responseMet, responseMissed, resolutionMet, resolutionMissed] =
    await Promise.all([
      select<TimedDuration>(
        db,
        `SELECT ${e('first_response_at')} AS t, ${e('first_response_at')} - ${e('created_at')} AS d
         FROM tickets WHERE first_response_at >= :from${until('first_response_at')}`,
        range,
        transaction,
      ),
      select<TimedDuration>(
        db,
        `SELECT ${e('closed_at')} AS t, ${e('closed_at')} - ${e('created_at')} AS d
         FROM tickets WHERE closed_at >= :from${until('closed_at')}`,
        range,
        transaction,
      ),
      ...(
        [
          'sla_response_met_at',
          'sla_response_missed_at',
          'sla_resolution_met_at',
          'sla_resolution_missed_at',
        ] as const
      ).map((column) =>
        select<Timed>(
          db,
          `SELECT ${e(column)} AS t FROM tickets WHERE ${column} >= :from${until(column)}`,
          range,
          transaction,
        ),
      ),
    ]);
  return {
    responses: responses as TimedDuration[],
    resolutions: resolutions as TimedDuration[],
    responseMet: responseMet as Timed[],
    responseMissed: responseMissed as Timed[],
    resolutionMet: resolutionMet as Timed[],
    resolutionMissed: resolutionMissed as Timed[],
  };
}

/** Counts per bucket of the rows' instants. */
function countInto(boundaries: number[], rows: Timed[]): number[] {
  const counts = new Array<number>(boundaries.length - 1).fill(0);
  for (const row of rows) {
    const i = bucketOf(boundaries, Number(row.t));
    if (i >= 0) counts[i]! += 1;
  }
  return counts;
}

function durationsInto(boundaries: number[], rows: TimedDuration[]): number[][] {
  const lists = Array.from({ length: boundaries.length - 1 }, () => [] as number[]);
  for (const row of rows) {
    const i = bucketOf(boundaries, Number(row.t));
    // A clock set wrong on some machine can put a reply before its ticket: not a negative wait.
    if (i >= 0 && row.d !== null) lists[i]!.push(Math.max(0, Number(row.d)));
  }
  return lists;
}

export interface ReportOptions {
  days: ReportDays;
  timeZone: string;
  now?: Date;
}

export async function loadReport(db: Database, options: ReportOptions): Promise<Report> {
  const now = options.now ?? new Date();
  const zone = options.timeZone;
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  const firstDay = today.minus({ days: options.days - 1 });
  const dayStarts: DateTime[] = [];
  for (let day = firstDay; day <= today; day = day.plus({ days: 1 })) dayStarts.push(day);
  const dayBounds = [...dayStarts.map((day) => day.toSeconds()), now.getTime() / 1000];
  const firstWeek = firstDay.startOf('week');
  const weekStarts: DateTime[] = [];
  for (let week = firstWeek; week <= today; week = week.plus({ weeks: 1 })) weekStarts.push(week);
  const weekBounds = [...weekStarts.map((week) => week.toSeconds()), now.getTime() / 1000];
  const from = firstDay.toJSDate();
  const weeksFrom = firstWeek.toJSDate();
  const e = (column: string) => epoch(db, column);

  const [opened, history, backlogRows, settled, ratingRows] = await Promise.all([
    select<Timed>(db, `SELECT ${e('created_at')} AS t FROM tickets WHERE created_at >= :from`, { from }),
    select<Timed & { type: string }>(
      db,
      `SELECT ${e('created_at')} AS t, type FROM ticket_events
       WHERE created_at >= :from AND type IN ('status_changed', 'reopened')
         AND (type = 'reopened' OR to_value = 'closed')`,
      { from },
    ),
    select<{ n: number | string }>(db, "SELECT COUNT(*) AS n FROM tickets WHERE status <> 'closed'", {}),
    settledRows(db, weeksFrom),
    select<Timed & { technician_id: string; score: number | string }>(
      db,
      `SELECT ${e('created_at')} AS t, technician_id, score FROM ratings WHERE created_at >= :from`,
      { from: weeksFrom },
    ),
  ]);

  const openedPerDay = countInto(dayBounds, opened);
  const closedPerDay = countInto(
    dayBounds,
    history.filter((row) => row.type === 'status_changed'),
  );
  const reopenedPerDay = countInto(
    dayBounds,
    history.filter((row) => row.type === 'reopened'),
  );
  // Tickets opened after `now` (a clock ahead of ours) are left out of today's backlog too.
  let backlog = Number(backlogRows[0]?.n ?? 0);
  const daily: DayFigures[] = new Array(dayStarts.length);
  for (let i = dayStarts.length - 1; i >= 0; i--) {
    daily[i] = {
      day: dayStarts[i]!.toISODate() as string,
      opened: openedPerDay[i]!,
      closed: closedPerDay[i]!,
      reopened: reopenedPerDay[i]!,
      backlog,
    };
    backlog = Math.max(0, backlog - openedPerDay[i]! + closedPerDay[i]! - reopenedPerDay[i]!);
  }

  const responseTimes = durationsInto(weekBounds, settled.responses);
  const resolutionTimes = durationsInto(weekBounds, settled.resolutions);
  const responseMet = countInto(weekBounds, settled.responseMet);
  const responseMissed = countInto(weekBounds, settled.responseMissed);
  const resolutionMet = countInto(weekBounds, settled.resolutionMet);
  const resolutionMissed = countInto(weekBounds, settled.resolutionMissed);
  const weekly: WeekFigures[] = weekStarts.map((week, i) => ({
    week: week.toISODate() as string,
    partial: week < firstDay || i === weekStarts.length - 1,
    firstResponse: durations(responseTimes[i]!),
    resolution: durations(resolutionTimes[i]!),
    responseTarget: share(responseMet[i]!, responseMissed[i]!),
    resolutionTarget: share(resolutionMet[i]!, resolutionMissed[i]!),
  }));

  const perTechnician = new Map<string, { sums: number[]; counts: number[] }>();
  for (const row of ratingRows) {
    const i = bucketOf(weekBounds, Number(row.t));
    if (i < 0) continue;
    let entry = perTechnician.get(row.technician_id);
    if (!entry) {
      entry = { sums: new Array(weekStarts.length).fill(0), counts: new Array(weekStarts.length).fill(0) };
      perTechnician.set(row.technician_id, entry);
    }
    entry.sums[i]! += Number(row.score);
    entry.counts[i]! += 1;
  }
  const names = await technicianNames(db, [...perTechnician.keys()]);
  const ratings: TechnicianRatings[] = [...perTechnician]
    .map(([id, { sums, counts }]) => {
      const count = counts.reduce((a, b) => a + b, 0);
      const sum = sums.reduce((a, b) => a + b, 0);
      return {
        technician: { id, name: names.get(id) ?? id },
        weeks: counts.map((n, i) => ({ average: n === 0 ? null : sums[i]! / n, count: n })),
        average: sum / count,
        count,
      };
    })
    .sort((a, b) => b.count - a.count || a.technician.name.localeCompare(b.technician.name));

  const since = from.getTime() / 1000;
  const recent = <T extends Timed>(rows: T[]) => rows.filter((row) => Number(row.t) >= since);
  const recentRatings = recent(ratingRows);
  const overall = {
    ...periodFigures(
      {
        responses: recent(settled.responses),
        resolutions: recent(settled.resolutions),
        responseMet: recent(settled.responseMet),
        responseMissed: recent(settled.responseMissed),
        resolutionMet: recent(settled.resolutionMet),
        resolutionMissed: recent(settled.resolutionMissed),
      },
      recentRatings.length,
      recentRatings.reduce((sum, row) => sum + Number(row.score), 0),
    ),
    opened: openedPerDay.reduce((a, b) => a + b, 0),
    closed: closedPerDay.reduce((a, b) => a + b, 0),
    reopened: reopenedPerDay.reduce((a, b) => a + b, 0),
    backlog: daily[daily.length - 1]?.backlog ?? 0,
  };
  return { days: options.days, timeZone: zone, from, to: now, daily, weekly, ratings, overall };
}

async function technicianNames(db: Database, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const users = await db.models.User.findAll({ attributes: ['id', 'name', 'realName'], where: { id: ids } });
  return new Map(users.map((user) => [user.id, displayName(user)]));
}

/** The headline figures of [start, end), for the digest. */
export async function loadPeriodFigures(
  db: Database,
  start: Date,
  end: Date,
  transaction?: Transaction,
): Promise<PeriodFigures> {
  const [settled, rating] = await Promise.all([
    settledRows(db, start, end, transaction),
    select<{ average: number | string | null; n: number | string }>(
      db,
      'SELECT AVG(score) AS average, COUNT(*) AS n FROM ratings WHERE created_at >= :start AND created_at < :end',
      { start, end },
      transaction,
    ),
  ]);
  const count = Number(rating[0]?.n ?? 0);
  return periodFigures(settled, count, count === 0 ? 0 : Number(rating[0]?.average) * count);
}

function periodFigures(
  settled: Awaited<ReturnType<typeof settledRows>>,
  ratings: number,
  scoreSum: number,
): PeriodFigures {
  const values = (rows: TimedDuration[]) =>
    rows.filter((row) => row.d !== null).map((row) => Math.max(0, Number(row.d)));
  return {
    firstResponse: durations(values(settled.responses)),
    resolution: durations(values(settled.resolutions)),
    responseTarget: share(settled.responseMet.length, settled.responseMissed.length),
    resolutionTarget: share(settled.resolutionMet.length, settled.resolutionMissed.length),
    rating: { average: ratings === 0 ? null : scoreSum / ratings, count: ratings },
  };
}

export interface ReuseOptions {
  /**
   * Keeps a key's figures worked out ahead of views while someone asked for it within this long
   * (0: not kept warm): every `ttlMs / 2` the stale ones are worked out again behind the views, so
   * a manager coming back after a quiet hour gets the last minute's figures at once. A key nobody
   * asked for in this long is dropped.
   */
  keepWarmMs?: number;
  /** Told of a failure while working one out ahead of views (nobody is waiting for it). */
  onError?: (key: string, error: unknown) => void;
}

/** A cache of reports: ask for a key; `stop()` ends the keeping warm (the app stopping). */
export interface Reuse<T> {
  (key: string, compute: () => Promise<T>): Promise<T>;
  /** Ends the keeping warm; resolves once nothing is being worked out any more. */
  stop(): Promise<void>;
}

/**
 * Reports are the same for everyone viewing the same period in the same zone and language: each
 * app keeps the last one per key for `ttlMs` (0: worked out on every view). Once it is older, the
 * next view still gets it at once and a new one is worked out behind it (one at a time per key),
 * so while people look, only the first view of a key waits for the figures and charts; past twice
 * `ttlMs` nobody gets it any more (the view waits for new ones). With `keepWarmMs`, keys asked for
 * lately are worked out again before they go stale (see ReuseOptions). A failed one is not kept.
 */
export function reuseFor<T>(ttlMs: number, options: ReuseOptions = {}): Reuse<T> {
  const keepWarmMs = options.keepWarmMs ?? 0;
  const cache = new Map<
    string,
    { at: number; value: Promise<T>; refreshing?: Promise<T>; compute: () => Promise<T>; askedAt: number }
  >();
  const start = (key: string, compute: () => Promise<T>, behind = false) => {
    const value = compute();
    value.then(
      () => {
        const entry = cache.get(key);
        if (entry?.refreshing === value) {
          entry.value = value;
          entry.at = Date.now();
          entry.refreshing = undefined;
        } else if (entry?.value === value) entry.at = Date.now();
      },
      (error: unknown) => {
        const entry = cache.get(key);
        if (entry?.value === value) cache.delete(key);
        else if (entry?.refreshing === value) entry.refreshing = undefined;
        if (behind) options.onError?.(key, error);
      },
    );
    return value;
  };
  let timer: NodeJS.Timeout | undefined;
  const warm = () => {
    const now = Date.now();
    for (const [key, entry] of cache) {
      if (now - entry.askedAt > keepWarmMs) cache.delete(key);
      else if (now - entry.at >= ttlMs && !entry.refreshing) {
        entry.refreshing = start(key, entry.compute, true);
        // Handled by start(); the view that gets it instead sees the failure itself.
        entry.refreshing.catch(() => undefined);
      }
    }
    if (cache.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  const keepWarm = () => {
    if (keepWarmMs <= 0 || timer) return;
    timer = setInterval(warm, Math.max(1, Math.floor(ttlMs / 2)));
    // Nothing to wait for at exit: a report is only ever read.
    timer.unref();
  };
  const reuse = (key: string, compute: () => Promise<T>): Promise<T> => {
    if (ttlMs <= 0) return compute();
    const now = Date.now();
    const entry = cache.get(key);
    if (!entry) {
      // A handful of zones and languages are in use at once; the oldest key goes when a new one comes.
      if (cache.size >= 100) cache.delete(cache.keys().next().value as string);
      const value = start(key, compute);
      cache.set(key, { at: now, value, compute, askedAt: now });
      keepWarm();
      return value;
    }
    entry.askedAt = now;
    entry.compute = compute;
    const age = now - entry.at;
    if (age >= 2 * ttlMs) {
      // Nobody looked for a while: not figures that old, the view waits for new ones.
      const value = start(key, compute);
      cache.set(key, { at: now, value, compute, askedAt: now });
      return value;
    }
    if (age >= ttlMs && !entry.refreshing) entry.refreshing = start(key, compute);
    return entry.value;
  };
  return Object.assign(reuse, {
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      // Whatever is being worked out goes on to its end: waited for, so nothing is still reading
      // the database once the app closes it.
      const underWay = [...cache.values()].flatMap((entry) =>
        entry.refreshing ? [entry.value, entry.refreshing] : [entry.value],
      );
      cache.clear();
      await Promise.allSettled(underWay);
    },
  });
}
