import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTicket, saveRequestType, setAvailability } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import { PEOPLE, type RunningPage, seedPeople, startStatusPage, visibleText } from './support.js';

// Auto-assignment on the status page (issue 14 §3): a technician who set themselves Away says so
// on their row of the technicians' table and where a ticket names them; ticketbot's own pick
// reads "ticketbot (round-robin)" in the ticket's history, in the viewer's language.

describeEachDatabase('status page: Away and ticketbot’s assignments', (suite) => {
  let page: RunningPage;
  let ticketId = 0;
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${page.url}${path}`, { headers });
    return { status: response.status, html: await response.text() };
  };
  /** The technicians' table rows, each as "name[ Away]" (the badge's text). */
  const technicianRows = (html: string) => {
    const table = html.slice(html.indexOf('id="technicians-heading"'), html.indexOf('id="filters-heading"'));
    return [...table.matchAll(/<th scope="row">([\s\S]*?)<\/th>/g)].map((match) =>
      visibleText(match[1]!).trim(),
    );
  };

  beforeAll(async () => {
    const services = await seedPeople(suite.db);
    const hardware = await saveRequestType(services.as(PEOPLE.admin.id), {
      name: 'Hardware',
      technicianIds: [PEOPLE.technician.id, PEOPLE.secondTechnician.id],
      assignment: 'round_robin',
    });
    const { ticket } = await createTicket(services.as(PEOPLE.requester.id), {
      title: 'Laptop screen flickers',
      requestTypeId: hardware.id,
    });
    expect(ticket.technicianId).toBe(PEOPLE.technician.id);
    ticketId = ticket.id;
    // Camille, to whom it went, is Away now; Daniel is not.
    await setAvailability(services.as(PEOPLE.technician.id), true);
    page = await startStatusPage(suite.db, suite.url);
  });
  afterAll(async () => {
    await page?.close();
  });

  it('shows Away on the technician’s row, and on no one else’s', async () => {
    const { status, html } = await get('/');
    expect(status).toBe(200);
    expect(technicianRows(html).sort()).toEqual([
      `${PEOPLE.technician.name} Away`,
      PEOPLE.secondTechnician.name,
    ]);
    expect(technicianRows((await get('/', { 'Accept-Language': 'fr' })).html)).toContain(
      `${PEOPLE.technician.name} Absent`,
    );
  });

  it('names ticketbot and its rule in the history, and shows the technician Away on the ticket', async () => {
    const { status, html } = await get(`/tickets/${ticketId}`);
    expect(status).toBe(200);
    const text = visibleText(html);
    expect(text).toContain(`Alice Martin opened the ticket`);
    expect(text).toContain(`ticketbot (round-robin) assigned it to ${PEOPLE.technician.name}`);
    expect(text).not.toContain('ticketbot:round_robin');
    expect(text).toMatch(new RegExp(`Technician ${PEOPLE.technician.name} Away`));
    const french = visibleText((await get(`/tickets/${ticketId}`, { 'Accept-Language': 'fr' })).html);
    expect(french).toContain('ticketbot (à tour de rôle)');
    const german = visibleText((await get(`/tickets/${ticketId}`, { 'Accept-Language': 'de' })).html);
    expect(german).toContain('ticketbot (reihum)');
  });

  it('drops the badge once the technician is Available again', async () => {
    await suite.db.models.User.update({ awaySince: null }, { where: { id: PEOPLE.technician.id } });
    // The figures are kept a few seconds (SUMMARY_TTL_MS): a page started afresh counts again.
    await page.close();
    page = await startStatusPage(suite.db, suite.url);
    expect(technicianRows((await get('/')).html)).not.toContain(`${PEOPLE.technician.name} Away`);
    expect(visibleText((await get(`/tickets/${ticketId}`)).html)).not.toMatch(
      new RegExp(`Technician ${PEOPLE.technician.name} Away`),
    );
  });
});
