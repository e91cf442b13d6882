import { afterAll, beforeAll, expect, it } from 'vitest';
import { addComment, assignTicket, changeStatus, createTicket, rateTicket } from '../../src/tickets/index.js';
import { SessionStore } from '../../src/web/sessions.js';
import { describeEachDatabase } from '../support/db.js';
import { PEOPLE, type RunningPage, seedPeople, signInEnv, startStatusPage, visibleText } from './support.js';

// The reports page over HTTP: who may see it, what it says, in which language and period.
// The figures themselves are checked with a fixed clock in test/reports/figures.test.ts; the
// page in Chromium (axe, CSP, a screenshot) in test/web/browser.test.ts.

describeEachDatabase('status page: reports', (suite) => {
  const teamId = 'T0REPORTS1';
  let page: RunningPage;
  const cookies: Record<string, string> = {};
  const get = async (path: string, who: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${page.url}${path}`, {
      headers: { cookie: cookies[who] ?? '', ...headers },
      redirect: 'manual',
    });
    return { status: response.status, headers: response.headers, html: await response.text() };
  };

  beforeAll(async () => {
    const services = await seedPeople(suite.db);
    const { requester, technician } = PEOPLE;
    for (const title of ['Printer', 'VPN', 'Badge']) {
      const { ticket } = await createTicket(services.as(requester.id), { title });
      if (title === 'Badge') continue;
      await assignTicket(services.as(technician.id), { ticketId: ticket.id, technicianId: technician.id });
      await addComment(services.as(technician.id), { ticketId: ticket.id, body: 'Looking' });
      await changeStatus(services.as(technician.id), { ticketId: ticket.id, status: 'closed' });
      await rateTicket(services.as(requester.id), { ticketId: ticket.id, score: title === 'VPN' ? 5 : 3 });
    }
    page = await startStatusPage(
      suite.db,
      suite.url,
      signInEnv('http://127.0.0.1:9', 'http://127.0.0.1'),
      undefined,
      {
        teamId,
      },
    );
    const sessions = new SessionStore(suite.db, { idleMs: 3_600_000, maxMs: 3_600_000 });
    for (const person of [requester, technician]) {
      const { id } = await sessions.start({ userId: person.id, teamId, name: person.name });
      cookies[person.id] = `ticketbot_session=${id}`;
    }
  });
  afterAll(async () => {
    await page?.close();
  });

  it('shows a technician the period’s figures, five charts and their tables, linked from the menu', async () => {
    const { status, html, headers } = await get('/reports', PEOPLE.technician.id);
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('content-security-policy')).toContain("style-src 'self'");
    expect(html).toContain('<a class="nav-link" href="/reports" aria-current="page">Reports</a>');
    expect(html.match(/<svg role="img"/g)).toHaveLength(5);
    expect(html).not.toMatch(/<style| style="/);
    const text = visibleText(html);
    expect(text).toContain('The last 30 days 3 Opened 2 Closed 1 Open now');
    expect(text).toContain('4.0 Average rating');
    expect(text).toMatch(/Camille Roux 4\.0 2/);
    // Without service levels (none in this set-up) no target was settled.
    expect(text).toContain('— (0 of 0)');
  });

  it('goes back 90 days on asking, and takes nothing else', async () => {
    const ninety = await get('/reports?days=90', PEOPLE.technician.id);
    expect(visibleText(ninety.html)).toContain('The last 90 days');
    expect(ninety.html.match(/<time datetime="\d{4}-\d\d-\d\d">/g)!.length).toBeGreaterThanOrEqual(90);
    const odd = await get('/reports?days=100000', PEOPLE.technician.id);
    expect(visibleText(odd.html)).toContain('The last 30 days');
  });

  it('speaks French to a French browser', async () => {
    const { html } = await get('/reports', PEOPLE.technician.id, { 'accept-language': 'fr-FR,fr;q=0.9' });
    const text = visibleText(html);
    expect(text).toContain('Les 30 derniers jours');
    expect(text).toContain('Délai de première réponse par semaine');
    expect(text).toContain('4,0 Note moyenne');
  });

  it('refuses a requester, and does not offer them the link', async () => {
    const { status, html } = await get('/reports', PEOPLE.requester.id);
    expect(status).toBe(403);
    expect(visibleText(html)).toContain('Only technicians and admins can see the reports.');
    expect((await get('/', PEOPLE.requester.id)).html).not.toContain('href="/reports"');
    // Nobody signed in is sent to sign in first.
    expect((await get('/reports', 'nobody')).status).toBe(303);
  });
});
