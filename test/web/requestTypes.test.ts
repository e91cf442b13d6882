import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTicket, saveRequestType } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import {
  listedTicketIds,
  PEOPLE,
  type RunningPage,
  seedPeople,
  startStatusPage,
  visibleText,
} from './support.js';

// Request types on the status page (issue 14 §2): a Type column and a filter by type in the
// list, the type and the answers to its fields on the ticket's page; user text escaped.

describeEachDatabase('status page: request types', (suite) => {
  let page: RunningPage;
  const ids: Record<string, number> = {};
  const typeIds: Record<string, number> = {};
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${page.url}${path}`, { headers });
    return { status: response.status, html: await response.text() };
  };

  beforeAll(async () => {
    const services = await seedPeople(suite.db);
    const admin = services.as(PEOPLE.admin.id);
    const hardware = await saveRequestType(admin, {
      name: 'Hardware <b>&</b>',
      fields: [
        { label: 'Asset <tag>', kind: 'short', required: true },
        { label: 'Site', kind: 'choice', options: ['Paris', 'Lyon'] },
      ],
    });
    const access = await saveRequestType(admin, { name: 'Access' });
    Object.assign(typeIds, { hardware: hardware.id, access: access.id });
    const [tag, site] = hardware.fields.map((field) => field.id) as [string, string];
    const { ticket: laptop } = await createTicket(services.as(PEOPLE.requester.id), {
      title: 'Laptop screen flickers',
      priority: 'high',
      requestTypeId: hardware.id,
      fields: { [tag]: 'LT-42 <script>x</script>', [site]: 'Lyon' },
    });
    const { ticket: badge } = await createTicket(services.as(PEOPLE.otherRequester.id), {
      title: 'Badge does not open door',
      requestTypeId: access.id,
    });
    const { ticket: plain } = await createTicket(services.as(PEOPLE.requester.id), {
      title: 'Something without a type',
      priority: 'high',
    });
    Object.assign(ids, { laptop: laptop.id, badge: badge.id, plain: plain.id });
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    for (const [id, hours] of [
      [laptop.id, 3],
      [badge.id, 2],
      [plain.id, 1],
    ] as const) {
      await suite.db.models.Ticket.update({ lastActivityAt: hoursAgo(hours) }, { where: { id } });
    }
    page = await startStatusPage(suite.db, suite.url);
  });
  afterAll(async () => {
    await page?.close();
  });

  it('lists each ticket’s type in a Type column, names escaped', async () => {
    const { html } = await get('/');
    expect(listedTicketIds(html)).toEqual([ids.plain, ids.badge, ids.laptop]);
    expect(html).toContain('<th class="d-none d-md-table-cell" scope="col">Type</th>');
    const cells = [...html.matchAll(/<td class="d-none d-md-table-cell ticket-type">(.*?)<\/td>/g)].map(
      (match) => visibleText(match[1]!).trim(),
    );
    expect(cells).toEqual(['No type', 'Access', 'Hardware <b>&</b>']);
    expect(html).toContain('Hardware &lt;b&gt;&amp;&lt;/b&gt;');
    expect(html).not.toContain('<b>&</b>');
  });

  it('filters by type (or no type), combined with the other filters, from the query string', async () => {
    expect(listedTicketIds((await get(`/?type=${typeIds.hardware}`)).html)).toEqual([ids.laptop]);
    expect(listedTicketIds((await get('/?type=none')).html)).toEqual([ids.plain]);
    expect(listedTicketIds((await get(`/?type=${typeIds.access}&priority=high`)).html)).toEqual([]);
    expect(listedTicketIds((await get(`/?type=${typeIds.hardware}&priority=high`)).html)).toEqual([
      ids.laptop,
    ]);
    // Malformed: ignored, like the other filters.
    expect(listedTicketIds((await get('/?type=1%20OR%201=1')).html)).toHaveLength(3);
    expect(listedTicketIds((await get('/?type=-3')).html)).toHaveLength(3);
    // The filter's select offers the types, the current one selected; links keep the filter.
    const { html } = await get(`/?type=${typeIds.access}&sort=created_asc`);
    expect(html).toContain(`<option value="${typeIds.access}" selected>Access</option>`);
    expect(html).toContain('<option value="none">No type</option>');
    expect(html).toContain(`href="?status=open&amp;type=${typeIds.access}&amp;sort=created_asc"`);
  });

  it('shows the type and each answer under the label it was asked with on the ticket page, escaped', async () => {
    const { html } = await get(`/tickets/${ids.laptop}`);
    const text = visibleText(html);
    expect(text).toMatch(/Type Hardware <b>&<\/b> Asset <tag> LT-42 <script>x<\/script> Site Lyon/);
    expect(html).not.toContain('<script>x</script>');
    expect(html).toContain('LT-42 &lt;script&gt;x&lt;/script&gt;');
    // A ticket without a type shows no type row.
    expect(visibleText((await get(`/tickets/${ids.plain}`)).html)).not.toMatch(/\bType\b/);
  });

  it('speaks French: the column, the filter and the ticket page', async () => {
    const french = { 'Accept-Language': 'fr-FR,fr;q=0.9' };
    const list = visibleText((await get('/', french)).html);
    expect(list).toContain('Type');
    expect(list).toContain('Sans type');
    const ticket = visibleText((await get(`/tickets/${ids.badge}`, french)).html);
    expect(ticket).toMatch(/Type Access/);
  });
});
