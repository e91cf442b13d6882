import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addComment, assignTicket, changeStatus, createTicket, rateTicket } from '../../src/tickets/index.js';
import { SessionStore } from '../../src/web/sessions.js';
import { CHROMIUM_PATH, launchChromium } from '../support/browser.js';
import { createTestDatabase } from '../support/db.js';
import { PEOPLE, type RunningPage, seedPeople, signInEnv, startStatusPage } from './support.js';

// The status page in a real browser: Debian's chromium, no JavaScript tricks on our side, and
// axe-core's accessibility rules. One SQLite database is enough here; the HTTP tests cover MySQL.

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

async function seriousViolations(page: Page): Promise<string[]> {
  // evaluate() runs outside the page's CSP, so axe needs no inline-script exception.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

// Skipped only on a developer machine without chromium; CI installs it and must run these.
describe.skipIf(!existsSync(CHROMIUM_PATH) && !process.env.CI)('status page in Chromium', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let site: RunningPage;
  /** The same database behind Sign in with Slack, for what only a signed-in technician sees. */
  let staffSite: RunningPage;
  let technicianSession = '';
  let browser: Browser;
  let urgentId = 0;
  const problems: string[] = [];

  const open = async (
    path: string,
    options: { locale?: string; timezoneId?: string; width?: number; signedIn?: boolean } = {},
  ) => {
    const context = await browser.newContext({
      locale: options.locale ?? 'en-GB',
      timezoneId: options.timezoneId ?? 'UTC',
      viewport: { width: options.width ?? 1280, height: 900 },
    });
    const at = options.signedIn ? staffSite : site;
    if (options.signedIn)
      await context.addCookies([{ name: 'ticketbot_session', value: technicianSession, url: at.url }]);
    const page = await context.newPage();
    // A CSP violation or a failed script shows up here; the page must produce none.
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${at.url}${path}`);
    await page.waitForLoadState('networkidle');
    return page;
  };

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const services = await seedPeople(database.db);
    const { requester, otherRequester, technician } = PEOPLE;
    const { ticket: urgent } = await createTicket(services.as(requester.id), {
      title: 'Badge reader at the garage is dead',
      description: 'Nobody gets in by car.',
      priority: 'urgent',
    });
    urgentId = urgent.id;
    await assignTicket(services.as(technician.id), { ticketId: urgent.id, technicianId: technician.id });
    await changeStatus(services.as(technician.id), { ticketId: urgent.id, status: 'in_progress' });
    await addComment(services.as(technician.id), { ticketId: urgent.id, body: 'On my way with a spare.' });
    const { ticket: monitor } = await createTicket(services.as(otherRequester.id), {
      title: 'Second monitor, please',
      priority: 'low',
    });
    // One closed and rated, for the reports page's resolution and ratings.
    await assignTicket(services.as(technician.id), { ticketId: monitor.id, technicianId: technician.id });
    await changeStatus(services.as(technician.id), { ticketId: monitor.id, status: 'closed' });
    await rateTicket(services.as(otherRequester.id), { ticketId: monitor.id, score: 4 });
    await createTicket(services.as(otherRequester.id), { title: '<img src=x onerror=alert(1)> odd title' });
    site = await startStatusPage(database.db, database.url);
    const teamId = 'T0BROWSER1';
    staffSite = await startStatusPage(
      database.db,
      database.url,
      signInEnv('http://127.0.0.1:9', 'http://127.0.0.1'),
      undefined,
      { teamId, tickets: services },
    );
    const sessions = new SessionStore(database.db, { idleMs: 3_600_000, maxMs: 3_600_000 });
    technicianSession = (await sessions.start({ userId: technician.id, teamId, name: technician.name })).id;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await staffSite?.close();
    await database?.drop();
  });

  it('shows the ticket list with styles from the app and no accessibility problem', async () => {
    const page = await open('/');
    await expect.poll(() => page.locator('table.table-tickets tbody tr').count()).toBe(3);
    // Bootstrap is applied (served by the app): the navbar is dark.
    const navBackground = await page.evaluate<string>(
      "getComputedStyle(document.querySelector('nav.navbar')).backgroundColor",
    );
    expect(navBackground).toBe('rgb(33, 37, 41)');
    // The odd title is text, not an element.
    await expect.poll(() => page.locator('td.ticket-title img').count()).toBe(0);
    expect(await page.getByRole('link', { name: '<img src=x onerror=alert(1)> odd title' }).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });

  it('follows a filter and a ticket link, and the detail page is accessible too', async () => {
    const page = await open('/');
    await page.getByLabel('Priority').selectOption('urgent');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/priority=urgent/);
    const titles = await page.locator('td.ticket-title > a').allTextContents();
    expect(titles).toEqual(['Badge reader at the garage is dead']);
    await page.getByRole('link', { name: 'Badge reader at the garage is dead' }).click();
    await page.waitForURL(new RegExp(`/tickets/${urgentId}$`));
    expect(await page.locator('h1').textContent()).toContain('Badge reader at the garage is dead');
    expect(await page.getByText('On my way with a spare.').count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });

  it('lets a signed-in technician change the priority on the ticket page, accessibly', async () => {
    const page = await open(`/tickets/${urgentId}`, { signedIn: true });
    const select = page.getByLabel('Change the priority');
    expect(await select.inputValue()).toBe('urgent');
    expect(await seriousViolations(page)).toEqual([]);
    await select.selectOption('high');
    await page.getByRole('button', { name: 'Change', exact: true }).click();
    await page.waitForURL(new RegExp(`/tickets/${urgentId}\\?notice=priority$`));
    expect(await page.getByRole('status').textContent()).toContain('Priority changed.');
    expect(await page.getByLabel('Change the priority').inputValue()).toBe('high');
    expect(await page.getByText('Camille Roux changed the priority from Urgent to High').count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    // For a person to look at: the form and its notice on the page.
    await page.screenshot({ path: join(tmpdir(), 'ticketbot-priority.png'), fullPage: true });
    await page.context().close();
  });

  it('shows times in the browser’s time zone and speaks French to a French browser', async () => {
    const page = await open('/', { locale: 'fr-FR', timezoneId: 'Asia/Tokyo' });
    // status.js tells the server the zone and reloads once.
    await expect.poll(() => page.locator('footer').textContent()).toContain('Asia/Tokyo');
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    expect(await page.getByRole('button', { name: 'Appliquer' }).count()).toBe(1);
    const stamp = page.locator('table.table-tickets time').first();
    const iso = (await stamp.getAttribute('datetime'))!;
    const tokyo = new Intl.DateTimeFormat('fr-FR', {
      timeZone: 'Asia/Tokyo',
      dateStyle: 'medium',
      timeStyle: 'short',
    });
    expect(await stamp.textContent()).toBe(tokyo.format(new Date(iso)));
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });

  it('fits a phone screen without sideways scrolling, and the email queue is accessible', async () => {
    const phone = await open('/', { width: 375 });
    const overflow = await phone.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.context().close();
    const emails = await open('/emails');
    expect(await seriousViolations(emails)).toEqual([]);
    await emails.context().close();
  });

  it('draws the reports page: five charts beside their tables, accessible, in English and French', async () => {
    const page = await open('/reports');
    expect(await page.locator('h1').textContent()).toBe('Reports');
    const charts = page.getByRole('img');
    await expect.poll(() => charts.count()).toBe(5);
    expect(await charts.first().getAttribute('aria-label')).toBe(
      'Tickets per day and the open backlog, last 30 days',
    );
    // The SVG is drawn at its column's width (status.css), not its own 720 px.
    const box = await page.locator('figure.report-chart svg').first().boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    const today = page
      .getByRole('region', { name: /^Table: Tickets per day/ })
      .locator('tbody tr')
      .first();
    expect(await today.locator('td').allTextContents()).toEqual(['3', '1', '0', '2']);
    await page.screenshot({ path: join(tmpdir(), 'ticketbot-reports.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Last 90 days' }).click();
    await page.waitForURL(/days=90/);
    expect(await page.locator('[aria-current="page"]').allTextContents()).toContain('Last 90 days');
    await page.context().close();
    const french = await open('/reports', { locale: 'fr-FR' });
    expect(await french.locator('h1').textContent()).toBe('Rapports');
    expect(await french.getByRole('img').first().getAttribute('aria-label')).toBe(
      'Tickets par jour et tickets en cours, 30 derniers jours',
    );
    expect(await seriousViolations(french)).toEqual([]);
    await french.context().close();
  });

  it('raised no console error or Content-Security-Policy violation on any page', () => {
    expect(problems).toEqual([]);
  });
});
