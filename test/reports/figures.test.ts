import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { collectDigest } from '../../src/notifications/digest.js';
import { drawCharts, fitForCsp } from '../../src/reports/charts.js';
import { loadPeriodFigures, loadReport, percentile, reuseFor } from '../../src/reports/figures.js';
import { createTicket } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import { PEOPLE, seedPeople } from '../web/support.js';

// The reports' figures from rows with known moments, with a fixed "now" and the viewer in
// Europe/Paris, whose clocks went back on 25 October 2026 (03:00 CEST → 02:00 CET): the window
// holds a 25-hour day, and a ticket opened at 22:30 UTC on the 24th is the 25th's in Paris.

const NOW = new Date('2026-11-10T12:00:00Z');
const HOUR = 3600;

describeEachDatabase('reports: figures per day and week', (suite) => {
  const ids: Record<string, number> = {};
  const set = async (id: number, columns: Record<string, Date | string | null>) => {
    const names = Object.keys(columns);
    await suite.db.sequelize.query(
      `UPDATE tickets SET ${names.map((name) => `${name} = :${name}`).join(', ')} WHERE id = :id`,
      { replacements: { ...columns, id } },
    );
  };
  const event = (ticketId: number, type: string, to: string | null, at: string) =>
    suite.db.sequelize.query(
      `INSERT INTO ticket_events (ticket_id, actor_id, type, from_value, to_value, version, created_at)
       VALUES (:ticketId, :actor, :type, NULL, :to, 9, :at)`,
      { replacements: { ticketId, actor: PEOPLE.technician.id, type, to, at: new Date(at) } },
    );
  const rating = (ticketId: number, technician: string, score: number, at: string) =>
    suite.db.sequelize.query(
      `INSERT INTO ratings (ticket_id, resolution, requester_id, technician_id, score, remark, created_at)
       VALUES (:ticketId, :resolution, :requester, :technician, :score, NULL, :at)`,
      {
        replacements: {
          ticketId,
          resolution: score,
          requester: PEOPLE.requester.id,
          technician,
          score,
          at: new Date(at),
        },
      },
    );
  const d = (iso: string) => new Date(iso);
  const noClocks = {
    sla_response_due_at: null,
    sla_response_warn_at: null,
    sla_response_met_at: null,
    sla_response_missed_at: null,
    sla_resolution_due_at: null,
    sla_resolution_warn_at: null,
    sla_resolution_met_at: null,
    sla_resolution_missed_at: null,
    first_response_at: null,
    closed_at: null,
  };

  beforeAll(async () => {
    const services = await seedPeople(suite.db);
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      ids[name] = (
        await createTicket(services.as(PEOPLE.requester.id), { title: `Ticket ${name}` })
      ).ticket.id;
    }
    const { technician, secondTechnician } = PEOPLE;
    // A: opened on Paris's 25 Oct (22:30 UTC the day before), answered an hour later, closed 36 h in.
    await set(ids.a!, {
      ...noClocks,
      status: 'closed',
      technician_id: technician.id,
      created_at: d('2026-10-24T22:30:00Z'),
      first_response_at: d('2026-10-24T23:30:00Z'),
      sla_response_met_at: d('2026-10-24T23:30:00Z'),
      closed_at: d('2026-10-26T10:30:00Z'),
      sla_resolution_met_at: d('2026-10-26T10:30:00Z'),
    });
    await event(ids.a!, 'status_changed', 'closed', '2026-10-26T10:30:00Z');
    await rating(ids.a!, technician.id, 5, '2026-10-26T11:00:00Z');
    // B: answered 4 h in (target missed), closed the next day, reopened the day after: open now.
    await set(ids.b!, {
      ...noClocks,
      status: 'open',
      technician_id: technician.id,
      created_at: d('2026-10-26T08:00:00Z'),
      first_response_at: d('2026-10-26T12:00:00Z'),
      sla_response_missed_at: d('2026-10-26T10:00:00Z'),
    });
    await event(ids.b!, 'status_changed', 'closed', '2026-10-27T08:00:00Z');
    await rating(ids.b!, technician.id, 3, '2026-10-27T09:00:00Z');
    await event(ids.b!, 'reopened', 'open', '2026-10-28T08:00:00Z');
    // C: opened at 00:30 on Paris's 10 Nov (23:30 UTC the 9th), untouched.
    await set(ids.c!, { ...noClocks, status: 'open', created_at: d('2026-11-09T23:30:00Z') });
    // D: opened before the window, still open: the backlog it starts with.
    await set(ids.d!, { ...noClocks, status: 'in_progress', created_at: d('2026-09-01T09:00:00Z') });
    // E: answered in 30 min, closed a day later past its resolution target.
    await set(ids.e!, {
      ...noClocks,
      status: 'closed',
      technician_id: secondTechnician.id,
      created_at: d('2026-11-02T09:00:00Z'),
      first_response_at: d('2026-11-02T09:30:00Z'),
      sla_response_met_at: d('2026-11-02T09:30:00Z'),
      closed_at: d('2026-11-03T09:00:00Z'),
      sla_resolution_missed_at: d('2026-11-03T08:00:00Z'),
    });
    await event(ids.e!, 'status_changed', 'closed', '2026-11-03T09:00:00Z');
    await rating(ids.e!, secondTechnician.id, 4, '2026-11-03T10:00:00Z');
  });
  afterAll(async () => {});

  it('counts opened, closed and reopened tickets per day in the viewer zone, and the backlog back from now', async () => {
    const report = await loadReport(suite.db, { days: 30, timeZone: 'Europe/Paris', now: NOW });
    expect(report.daily).toHaveLength(30);
    expect(report.daily[0]!.day).toBe('2026-10-12');
    expect(report.daily.at(-1)!.day).toBe('2026-11-10');
    const day = (iso: string) => report.daily.find((row) => row.day === iso)!;
    const busy = report.daily
      .filter((row) => row.opened + row.closed + row.reopened > 0)
      .map((row) => row.day);
    expect(busy).toEqual([
      '2026-10-25',
      '2026-10-26',
      '2026-10-27',
      '2026-10-28',
      '2026-11-02',
      '2026-11-03',
      '2026-11-10',
    ]);
    expect(day('2026-10-25')).toMatchObject({ opened: 1, closed: 0, backlog: 2 });
    expect(day('2026-10-26')).toMatchObject({ opened: 1, closed: 1, backlog: 2 });
    expect(day('2026-10-27')).toMatchObject({ closed: 1, backlog: 1 });
    expect(day('2026-10-28')).toMatchObject({ reopened: 1, backlog: 2 });
    expect(day('2026-11-03')).toMatchObject({ closed: 1, backlog: 2 });
    expect(day('2026-11-10')).toMatchObject({ opened: 1, backlog: 3 });
    expect(report.daily[0]!.backlog).toBe(1);
    // In UTC the same rows fall on other days.
    const utc = await loadReport(suite.db, { days: 30, timeZone: 'UTC', now: NOW });
    expect(utc.daily.find((row) => row.day === '2026-10-24')!.opened).toBe(1);
    expect(utc.daily.find((row) => row.day === '2026-11-09')!.opened).toBe(1);
    expect(utc.daily.find((row) => row.day === '2026-11-10')!.opened).toBe(0);
  });

  it('gives each week from Monday its first-response and resolution times and its share within target', async () => {
    const report = await loadReport(suite.db, { days: 30, timeZone: 'Europe/Paris', now: NOW });
    expect(report.weekly.map((week) => week.week)).toEqual([
      '2026-10-12',
      '2026-10-19',
      '2026-10-26',
      '2026-11-02',
      '2026-11-09',
    ]);
    const week = (iso: string) => report.weekly.find((row) => row.week === iso)!;
    // A's answer came at 01:30 on Sunday 25 October in Paris.
    expect(week('2026-10-19').firstResponse).toEqual({ count: 1, median: HOUR, p90: HOUR });
    expect(week('2026-10-19').responseTarget).toEqual({ met: 1, missed: 0, share: 1 });
    expect(week('2026-10-26').firstResponse).toEqual({ count: 1, median: 4 * HOUR, p90: 4 * HOUR });
    expect(week('2026-10-26').responseTarget).toEqual({ met: 0, missed: 1, share: 0 });
    // B was reopened: only A's closing is a resolution that week.
    expect(week('2026-10-26').resolution).toEqual({ count: 1, median: 36 * HOUR, p90: 36 * HOUR });
    expect(week('2026-10-26').resolutionTarget).toEqual({ met: 1, missed: 0, share: 1 });
    expect(week('2026-11-02').resolutionTarget).toEqual({ met: 0, missed: 1, share: 0 });
    expect(week('2026-11-09')).toMatchObject({
      partial: true,
      firstResponse: { count: 0, median: null, p90: null },
      responseTarget: { share: null },
    });
    expect(week('2026-10-12').partial).toBe(false);
    expect(report.overall).toMatchObject({
      opened: 4,
      closed: 3,
      reopened: 1,
      backlog: 3,
      firstResponse: { count: 3, median: HOUR, p90: 4 * HOUR },
      resolution: { count: 2, median: 24 * HOUR, p90: 36 * HOUR },
      responseTarget: { met: 2, missed: 1 },
      resolutionTarget: { met: 1, missed: 1, share: 0.5 },
      rating: { average: 4, count: 3 },
    });
  });

  it('averages each technician’s ratings per week', async () => {
    const report = await loadReport(suite.db, { days: 30, timeZone: 'Europe/Paris', now: NOW });
    const [camille, daniel] = report.ratings;
    expect(camille).toMatchObject({ technician: PEOPLE.technician, average: 4, count: 2 });
    expect(camille!.weeks[2]).toEqual({ average: 4, count: 2 });
    expect(camille!.weeks.filter((week) => week.count > 0)).toHaveLength(1);
    expect(daniel).toMatchObject({ technician: PEOPLE.secondTechnician, average: 4, count: 1 });
    expect(daniel!.weeks[3]).toEqual({ average: 4, count: 1 });
  });

  it('goes back 90 days on asking, and starts empty before any ticket', async () => {
    const report = await loadReport(suite.db, { days: 90, timeZone: 'Europe/Paris', now: NOW });
    expect(report.daily).toHaveLength(90);
    expect(report.daily[0]!.day).toBe('2026-08-13');
    // D opened on 1 September; before it nothing was open.
    expect(report.daily.find((row) => row.day === '2026-08-31')!.backlog).toBe(0);
    expect(report.daily.find((row) => row.day === '2026-09-01')!).toMatchObject({ opened: 1, backlog: 1 });
  });

  it('gives the digest the same figures for its period', async () => {
    const figures = await loadPeriodFigures(suite.db, d('2026-10-26T00:00:00Z'), d('2026-11-02T00:00:00Z'));
    expect(figures).toMatchObject({
      firstResponse: { count: 1, median: 4 * HOUR },
      resolution: { count: 1, median: 36 * HOUR },
      responseTarget: { met: 0, missed: 1, share: 0 },
      resolutionTarget: { met: 1, missed: 0, share: 1 },
      rating: { average: 4, count: 2 },
    });
    const digest = await collectDigest(
      suite.db,
      { start: d('2026-10-26T00:00:00Z'), end: d('2026-11-02T00:00:00Z') },
      'https://help.example.com',
    );
    expect(digest.service).toEqual(figures);
  });

  it('draws SVG charts that need no inline style, labelled, with names escaped', async () => {
    await suite.db.models.User.update(
      { name: 'Camille <script>x</script> & "Roux"' },
      { where: { id: PEOPLE.technician.id } },
    );
    const report = await loadReport(suite.db, { days: 30, timeZone: 'Europe/Paris', now: NOW });
    const charts = drawCharts(
      report,
      {
        opened: 'Opened',
        closed: 'Closed',
        backlog: 'Backlog',
        median: 'Median',
        p90: 'p90',
        hours: 'Hours',
        response: 'Response',
        resolution: 'Resolution',
        percent: '%',
        rating: 'Rating',
      },
      {
        daily: 'Per day',
        firstResponse: 'FR',
        resolution: 'Res',
        targets: 'Targets "x"',
        ratings: 'Ratings',
      },
      'fr-FR',
    );
    for (const svg of Object.values(charts)) {
      expect(svg).toMatch(/^<svg role="img" aria-label="[^"]+" focusable="false" /);
      expect(svg).not.toMatch(/ style=|<style|<script/);
    }
    expect(charts.targets).toContain('aria-label="Targets &quot;x&quot;"');
    expect(charts.ratings).toContain('Camille &lt;script&gt;x&lt;/script&gt; &amp;');
    expect(charts.daily).toMatch(/>\d{1,2} oct\.</);
    await suite.db.models.User.update(
      { name: PEOPLE.technician.name },
      { where: { id: PEOPLE.technician.id } },
    );
  });
});

it('takes nearest-rank percentiles', () => {
  expect(percentile([], 50)).toBeNull();
  expect(percentile([7], 90)).toBe(7);
  expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
  expect(
    fitForCsp(
      '<text style="font-size:12px;font-family:&quot;a b&quot;, sans-serif;white-space:pre">x</text>',
    ),
  ).toBe('<text font-size="12px" font-family="&quot;a b&quot;, sans-serif">x</text>');
});

it('reuses a report for its lifetime, then hands out the old one while the next is worked out', async () => {
  let made = 0;
  let release: (() => void) | undefined;
  const make = (fail = false) =>
    new Promise<number>((resolve, reject) => {
      made += 1;
      const n = made;
      release = () => (fail ? reject(new Error('database down')) : resolve(n));
    });
  const fresh = reuseFor<number>(0);
  const first = fresh('30 UTC en', () => make());
  release!();
  expect(await first).toBe(1);
  // Lifetime 0: worked out on every view.
  const second = fresh('30 UTC en', () => make());
  release!();
  expect(await second).toBe(2);

  made = 0;
  const kept = reuseFor<number>(20);
  const one = kept('k', () => make());
  release!();
  expect(await one).toBe(1);
  expect(await kept('k', () => make())).toBe(1);
  expect(made).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, 30));
  // Stale: the old one at once, the next one under way.
  expect(await kept('k', () => make())).toBe(1);
  expect(made).toBe(2);
  expect(await kept('k', () => make())).toBe(1);
  expect(made).toBe(2);
  release!();
  await new Promise((resolve) => setTimeout(resolve, 0));
  expect(await kept('k', () => make())).toBe(2);
  // A failure is not kept: the next view tries again.
  const failing = kept('other', () => make(true));
  release!();
  await expect(failing).rejects.toThrow('database down');
  const again = kept('other', () => make());
  release!();
  expect(await again).toBe(4);
});

it('keeps a report viewed lately worked out ahead of views, and drops it once nobody asks', async () => {
  vi.useFakeTimers();
  try {
    let made = 0;
    let failing = false;
    const make = async () => {
      made += 1;
      if (failing) throw new Error('database down');
      return made;
    };
    const failures: string[] = [];
    const kept = reuseFor<number>(1000, {
      keepWarmMs: 10_000,
      onError: (key, error) => failures.push(`${key}: ${(error as Error).message}`),
    });
    expect(await kept('90 UTC en', make)).toBe(1);
    // Five minutes without a view (past twice the lifetime, where a view would wait): worked out
    // behind, so the next view gets a fresh one at once.
    await vi.advanceTimersByTimeAsync(5_000);
    const before = made;
    expect(before).toBeGreaterThan(2);
    expect(await kept('90 UTC en', make)).toBe(before);
    expect(made).toBe(before);
    // A failure ahead of views is told, and the last good one stays for the next view.
    failing = true;
    await vi.advanceTimersByTimeAsync(1_500);
    expect(failures[0]).toBe('90 UTC en: database down');
    failing = false;
    // Nobody asks for longer than the keeping: dropped, nothing more worked out; the next view waits.
    await vi.advanceTimersByTimeAsync(12_000);
    const idle = made;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(made).toBe(idle);
    expect(await kept('90 UTC en', make)).toBe(idle + 1);
    // Stopped with the app: no more work.
    await kept.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(made).toBe(idle + 1);
  } finally {
    vi.useRealTimers();
  }
});

it('stops only once the report being worked out is done, so the app closes its database after it', async () => {
  let release: ((value: number) => void) | undefined;
  const kept = reuseFor<number>(1000, { keepWarmMs: 10_000 });
  const view = kept('30 UTC en', () => new Promise<number>((resolve) => (release = resolve)));
  let stopped = false;
  const stopping = kept.stop().then(() => (stopped = true));
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(stopped).toBe(false);
  release!(7);
  await stopping;
  expect(stopped).toBe(true);
  expect(await view).toBe(7);
});
