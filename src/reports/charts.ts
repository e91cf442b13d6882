import * as echarts from 'echarts';
import type { Report } from './figures.js';

// The reports page's charts, drawn on the server by Apache ECharts as SVG (its server-side
// rendering: `ssr: true`, `renderToSVGString`), so the page needs no script and no CDN. The SVG
// is made to fit the page's CSP (`style-src 'self'`, src/web/securityHeaders.ts): ECharts puts
// the text's font in `style` attributes and hover effects in a `<style>` element, both inline
// styles the browser would refuse; the fonts become SVG attributes and the hover rules (there
// is no hovering without the script) go. Each chart is drawn next to a table of the same
// numbers (views/reports.pug): the SVG itself is one image with a label.

export interface ChartTexts {
  opened: string;
  closed: string;
  backlog: string;
  median: string;
  p90: string;
  hours: string;
  response: string;
  resolution: string;
  percent: string;
  rating: string;
}

export interface Charts {
  daily: string;
  firstResponse: string;
  resolution: string;
  targets: string;
  ratings: string;
}

const WIDTH = 720;
const HEIGHT = 300;
/** Lines on the ratings chart: more would be unreadable (the table has everyone). */
export const RATING_LINES = 8;
// Colours with at least 3:1 contrast on white (WCAG 1.4.11, graphical objects).
const PALETTE = ['#1f5fbf', '#b3261e', '#1e7a3a', '#8a4f00', '#6a3fa0', '#00707a', '#a0306e', '#4d4d4d'];

/** Draws one chart and returns its SVG, made safe for the CSP. */
function draw(label: string, option: echarts.EChartsOption): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
  try {
    chart.setOption({
      animation: false,
      color: PALETTE,
      textStyle: { fontFamily: 'system-ui, sans-serif', fontSize: 12, color: '#212529' },
      grid: { left: 56, right: 56, top: 40, bottom: 48 },
      legend: { top: 4, textStyle: { color: '#212529' } },
      ...option,
    });
    // One image with a name for assistive technology; the table beside it has the numbers.
    return fitForCsp(chart.renderToSVGString()).replace(
      /^<svg /,
      `<svg role="img" aria-label="${escapeAttribute(label)}" focusable="false" `,
    );
  } finally {
    chart.dispose();
  }
}

const PRESENTATION = new Set(['font-size', 'font-family', 'font-weight', 'font-style', 'fill', 'opacity']);

/** Inline styles out: `style="…"` into presentation attributes, `<style>` elements and hover classes gone. */
export function fitForCsp(svg: string): string {
  return svg
    .replace(/<style[^>]*>[\s\S]*?<\/style>/g, '')
    .replace(/ class="zr\d+-cls-\d+"/g, '')
    .replace(/ ecmeta_[a-z_]+="[^"]*"/g, '')
    .replace(/ style="([^"]*)"/g, (_match, declarations: string) =>
      declarations
        .replace(/&quot;/g, '"')
        .split(';')
        .map((declaration) => declaration.split(':').map((part) => part.trim()))
        .filter(([property, value]) => property && value && PRESENTATION.has(property))
        // A quote inside a value (a font list) would end the attribute: the entity keeps it.
        .map(([property, value]) => ` ${property}="${(value as string).replace(/"/g, '&quot;')}"`)
        .join(''),
    );
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const hours = (seconds: number | null) => (seconds === null ? null : Math.round(seconds / 360) / 10);
const percent = (share: number | null) => (share === null ? null : Math.round(share * 1000) / 10);

/** Labels for the x-axis: the day or the week's Monday, short, in the viewer's language. */
export function dayLabel(dateLocale: string, isoDate: string): string {
  return new Intl.DateTimeFormat(dateLocale, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(
    new Date(`${isoDate}T00:00:00Z`),
  );
}

export function drawCharts(report: Report, texts: ChartTexts, titles: Charts, dateLocale: string): Charts {
  const days = report.daily.map((row) => dayLabel(dateLocale, row.day));
  const weeks = report.weekly.map((row) => dayLabel(dateLocale, row.week));
  const valueAxis = (name: string, extra: Record<string, unknown> = {}) => ({
    type: 'value' as const,
    name,
    nameTextStyle: { color: '#212529' },
    axisLabel: { color: '#212529' },
    minInterval: 1,
    ...extra,
  });
  const categoryAxis = (data: string[]) => ({
    type: 'category' as const,
    data,
    axisLabel: { color: '#212529', hideOverlap: true },
  });
  const line = (name: string, data: Array<number | null>, extra: Record<string, unknown> = {}) => ({
    name,
    type: 'line' as const,
    data,
    connectNulls: false,
    symbolSize: 5,
    ...extra,
  });

  const daily = draw(titles.daily, {
    xAxis: categoryAxis(days),
    yAxis: [valueAxis(''), valueAxis(texts.backlog, { splitLine: { show: false } })],
    series: [
      { name: texts.opened, type: 'bar', data: report.daily.map((row) => row.opened) },
      { name: texts.closed, type: 'bar', data: report.daily.map((row) => row.closed) },
      line(
        texts.backlog,
        report.daily.map((row) => row.backlog),
        { yAxisIndex: 1, showSymbol: false },
      ),
    ],
  });
  const timeChart = (
    title: string,
    pick: (row: Report['weekly'][number]) => { median: number | null; p90: number | null },
  ) =>
    draw(title, {
      xAxis: categoryAxis(weeks),
      yAxis: valueAxis(texts.hours, { minInterval: 0 }),
      series: [
        line(
          texts.median,
          report.weekly.map((row) => hours(pick(row).median)),
        ),
        line(
          texts.p90,
          report.weekly.map((row) => hours(pick(row).p90)),
          { lineStyle: { type: 'dashed' } },
        ),
      ],
    });
  const targets = draw(titles.targets, {
    xAxis: categoryAxis(weeks),
    yAxis: valueAxis(texts.percent, { min: 0, max: 100 }),
    series: [
      line(
        texts.response,
        report.weekly.map((row) => percent(row.responseTarget.share)),
      ),
      line(
        texts.resolution,
        report.weekly.map((row) => percent(row.resolutionTarget.share)),
        { lineStyle: { type: 'dashed' } },
      ),
    ],
  });
  const ratings = draw(titles.ratings, {
    xAxis: categoryAxis(weeks),
    yAxis: valueAxis(texts.rating, { min: 1, max: 5 }),
    series: report.ratings.slice(0, RATING_LINES).map((technician) =>
      line(
        technician.technician.name,
        technician.weeks.map((week) => (week.average === null ? null : Math.round(week.average * 10) / 10)),
      ),
    ),
  });
  return {
    daily,
    firstResponse: timeChart(titles.firstResponse, (row) => row.firstResponse),
    resolution: timeChart(titles.resolution, (row) => row.resolution),
    targets,
    ratings,
  };
}
