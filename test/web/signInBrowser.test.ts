import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTicket } from '../../src/tickets/index.js';
import { CHROMIUM_PATH, launchChromium } from '../support/browser.js';
import { createTestDatabase } from '../support/db.js';
import { FakeSlack } from '../support/slackApi.js';
import type { SlackOidc } from '../support/slackOidc.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  freePort,
  PEOPLE,
  type RunningPage,
  seedPeople,
  signInEnv,
  startStatusPage,
} from './support.js';

// The sign-in as a person does it, in Debian's Chromium: the link from an email, the sign-in
// page, Slack's consent page (the test Slack's), back on the ticket, then signing out.
// SCREENSHOT_DIR, when set, receives a PNG of each step.

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    type Result = { violations: Array<{ id: string; impact: string | null; help: string }> };
    return (await (globalThis as unknown as { axe: { run(): Promise<Result> } }).axe.run()).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help}`);
}

describe.skipIf(!existsSync(CHROMIUM_PATH) && !process.env.CI)('Sign in with Slack in Chromium', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let slack: FakeSlack;
  let oidc: SlackOidc;
  let site: RunningPage;
  let browser: Browser;
  let ticketId = 0;
  const problems: string[] = [];

  const shot = async (page: Page, name: string) => {
    const dir = process.env.SCREENSHOT_DIR;
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const services = await seedPeople(database.db);
    const { ticket } = await createTicket(services.as(PEOPLE.requester.id), {
      title: 'Badge reader at the garage is dead',
      description: 'Nobody gets in by car.',
      priority: 'urgent',
    });
    ticketId = ticket.id;
    await createTicket(services.as(PEOPLE.otherRequester.id), { title: 'Second monitor, please' });
    slack = await FakeSlack.start();
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    oidc = slack.signIn(CLIENT_ID, CLIENT_SECRET, `${publicUrl}/signin/slack/callback`);
    oidc.consentPage = true;
    oidc.person = { userId: PEOPLE.requester.id, name: PEOPLE.requester.name };
    site = await startStatusPage(database.db, database.url, signInEnv(slack.url, publicUrl), undefined, {
      teamId: slack.teamId,
      port,
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await slack?.stop();
    await database?.drop();
  });

  it('follows the link from an email through Slack and back to the ticket, then signs out', async () => {
    const context = await browser.newContext({
      locale: 'en-GB',
      timezoneId: 'UTC',
      viewport: { width: 1100, height: 760 },
    });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    // The status page link in a requester's email.
    await page.goto(`${site.url}/tickets/${ticketId}`);
    await page.waitForLoadState('networkidle');
    expect(new URL(page.url()).pathname).toBe('/signin');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Sign in to the helpdesk',
    );
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, '1-sign-in');

    await page.getByRole('link', { name: 'Sign in with Slack' }).click();
    await page.waitForLoadState('networkidle');
    expect(page.url().startsWith(new URL(slack.url).origin)).toBe(true);
    await shot(page, '2-slack-consent');

    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${site.url}/tickets/${ticketId}`);
    await page.waitForLoadState('networkidle');
    await expect(page.locator('h1').textContent()).resolves.toContain('Badge reader at the garage is dead');
    await expect(page.getByText(`Signed in as ${PEOPLE.requester.name}`).isVisible()).resolves.toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, '3-ticket-after-sign-in');

    // The list is the requester's own.
    await page.getByRole('link', { name: 'Tickets', exact: true }).click();
    await page.waitForLoadState('networkidle');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Your tickets');
    await expect(page.getByText('Second monitor, please').count()).resolves.toBe(0);
    await shot(page, '4-your-tickets');

    const cookies = await context.cookies();
    const session = cookies.find((cookie) => cookie.name === 'ticketbot_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${site.url}/signin?signed_out=1`);
    await expect(page.getByRole('status').textContent()).resolves.toBe('You are signed out.');
    await shot(page, '5-signed-out');
    await page.goto(`${site.url}/`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('says so, on the sign-in page, when the person cancels at Slack', async () => {
    const context = await browser.newContext({ locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(`${site.url}/`);
    await page.getByRole('link', { name: 'Se connecter avec Slack' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForLoadState('networkidle');
    await expect(page.getByRole('alert').textContent()).resolves.toContain(
      'La connexion avec Slack a été annulée',
    );
    await shot(page, '6-cancelled-fr');
    await context.close();
  });
});
