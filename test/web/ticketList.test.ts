import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addComment, assignTicket, changeStatus, createTicket, rateTicket } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import {
  listedTicketIds,
  PEOPLE,
  type RunningPage,
  seedPeople,
  startStatusPage,
  visibleText,
} from './support.js';

describeEachDatabase('status page: ticket list', (suite) => {
  let page: RunningPage;
  const ids: Record<string, number> = {};
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${page.url}${path}`, { headers });
    return { status: response.status, html: await response.text(), headers: response.headers };
  };

  beforeAll(async () => {
    const services = await seedPeople(suite.db);
    const { requester, otherRequester, technician, secondTechnician } = PEOPLE;
    const { ticket: printer } = await createTicket(services.as(requester.id), {
      title: 'Printer on 3rd floor jams',
      description: 'Every second page.',
      priority: 'high',
      technicianId: technician.id,
    });
    const { ticket: vpn } = await createTicket(services.as(otherRequester.id), {
      title: 'VPN drops every hour',
      priority: 'urgent',
    });
    const { ticket: laptop } = await createTicket(services.as(requester.id), {
      title: 'New laptop for the intern',
      priority: 'low',
      technicianId: secondTechnician.id,
    });
    const { ticket: xss } = await createTicket(services.as(otherRequester.id), {
      title: '<script>alert("x")</script> & <b>bold</b>',
    });
    await changeStatus(services.as(technician.id), { ticketId: printer.id, status: 'in_progress' });
    await changeStatus(services.as(secondTechnician.id), { ticketId: laptop.id, status: 'closed' });
    await rateTicket(services.as(requester.id), { ticketId: laptop.id, score: 4 });
    await assignTicket(services.as(technician.id), { ticketId: vpn.id, technicianId: technician.id });
    await addComment(services.as(otherRequester.id), { ticketId: vpn.id, body: 'Still happening today' });
    Object.assign(ids, { printer: printer.id, vpn: vpn.id, laptop: laptop.id, xss: xss.id });
    // MySQL keeps whole seconds: spread the activity so the order does not hang on ties.
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    for (const [id, hours] of [
      [xss.id, 4],
      [printer.id, 3],
      [laptop.id, 2],
      [vpn.id, 1],
    ] as const) {
      await suite.db.models.Ticket.update({ lastActivityAt: hoursAgo(hours) }, { where: { id } });
    }
    page = await startStatusPage(suite.db, suite.url);
  });
  afterAll(async () => {
    await page?.close();
  });

  it('lists every ticket, latest activity first, with names instead of Slack ids', async () => {
    const { status, html } = await get('/');
    expect(status).toBe(200);
    expect(listedTicketIds(html)).toEqual([ids.vpn, ids.laptop, ids.printer, ids.xss]);
    const text = visibleText(html);
    expect(text).toContain('Printer on 3rd floor jams');
    expect(text).toContain('Alice Martin');
    expect(text).toContain('Camille Roux');
    expect(html).not.toContain(`${PEOPLE.requester.id}<`);
  });

  it('counts tickets by status and shows each technician’s load, recent closings and rating', async () => {
    const text = visibleText((await get('/')).html);
    expect(text).toMatch(/2 Open 1 In progress 1 Closed \(30 days\) 1 Unassigned/);
    expect(text).toMatch(/Camille Roux 2 0 —/);
    expect(text).toMatch(/Daniel Blanc 0 1 4\.0 \/ 5 \(1\)/);
  });

  it('filters by status, priority, technician, unassigned and requester (by name or id)', async () => {
    expect(listedTicketIds((await get('/?status=open')).html).sort()).toEqual([ids.vpn, ids.xss].sort());
    expect(listedTicketIds((await get('/?priority=urgent')).html)).toEqual([ids.vpn]);
    expect(listedTicketIds((await get(`/?technician=${PEOPLE.technician.id}`)).html)).toEqual([
      ids.vpn,
      ids.printer,
    ]);
    expect(listedTicketIds((await get('/?technician=none')).html)).toEqual([ids.xss]);
    expect(listedTicketIds((await get('/?requester=Alice+Martin')).html)).toEqual([ids.laptop, ids.printer]);
    // Part of a name, as people type it: the start of any word, in any case.
    expect(listedTicketIds((await get('/?requester=alice')).html)).toEqual([ids.laptop, ids.printer]);
    expect(listedTicketIds((await get('/?requester=MARTIN')).html)).toEqual([ids.laptop, ids.printer]);
    expect(listedTicketIds((await get('/?requester=artin')).html)).toEqual([]);
    expect(listedTicketIds((await get(`/?requester=${PEOPLE.otherRequester.id}&status=open`)).html)).toEqual([
      ids.vpn,
      ids.xss,
    ]);
    expect(
      listedTicketIds((await get(`/?technician=${PEOPLE.technician.id}&status=in_progress`)).html),
    ).toEqual([ids.printer]);
  });

  it('says so when the requester filter matches nobody, and ignores malformed filters', async () => {
    const unknown = await get('/?requester=Zorro');
    expect(visibleText(unknown.html)).toContain('No one is called “Zorro”.');
    expect(listedTicketIds(unknown.html)).toEqual([]);
    const malformed = await get('/?status=nope&priority=1&technician=<x>&sort=evil&after=abc');
    expect(malformed.status).toBe(200);
    expect(listedTicketIds(malformed.html)).toHaveLength(4);
  });

  it('searches titles by the start of words, case-insensitively, including short words', async () => {
    expect(listedTicketIds((await get('/?q=printer')).html)).toEqual([ids.printer]);
    expect(listedTicketIds((await get('/?q=VPN+hour')).html)).toEqual([ids.vpn]);
    expect(listedTicketIds((await get('/?q=3rd+floor')).html)).toEqual([ids.printer]);
    expect(listedTicketIds((await get('/?q=lapt')).html)).toEqual([ids.laptop]);
    expect(listedTicketIds((await get('/?q=nothing+like+this')).html)).toEqual([]);
    // Words are matched from their start; stopwords and short words still count.
    expect(listedTicketIds((await get('/?q=rinter')).html)).toEqual([]);
    expect(listedTicketIds((await get('/?q=for+the+intern')).html)).toEqual([ids.laptop]);
    expect(listedTicketIds((await get('/?q=on+3rd')).html)).toEqual([ids.printer]);
    // A word also starts after punctuation: '<script>alert("x")</script> & <b>bold</b>'.
    expect(listedTicketIds((await get('/?q=bold')).html)).toEqual([ids.xss]);
    expect(listedTicketIds((await get('/?q=script+alert')).html)).toEqual([ids.xss]);
    expect(listedTicketIds((await get('/?q=cript')).html)).toEqual([]);
  });

  it('sorts by creation, newest or oldest first', async () => {
    expect(listedTicketIds((await get('/?sort=created_desc')).html)).toEqual([
      ids.xss,
      ids.laptop,
      ids.vpn,
      ids.printer,
    ]);
    expect(listedTicketIds((await get('/?sort=created_asc')).html)).toEqual([
      ids.printer,
      ids.vpn,
      ids.laptop,
      ids.xss,
    ]);
  });

  it('has no type column or filter while no request types are defined', async () => {
    const { html } = await get('/?type=1');
    expect(html).not.toContain('name="type"');
    expect(html).not.toContain('ticket-type');
    expect(visibleText(html)).not.toMatch(/\bType\b/);
    // The parameter is still read (validated): type 1 does not exist, so nothing is listed.
    expect(listedTicketIds(html)).toEqual([]);
    expect(listedTicketIds((await get('/?type=none')).html)).toHaveLength(4);
  });

  it('shows a title with markup as text, never as markup', async () => {
    const { html } = await get('/');
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
  });

  it('speaks French to a French browser and shows times in the viewer’s time zone', async () => {
    const { html } = await get('/', {
      'Accept-Language': 'fr-CA,fr;q=0.9,en;q=0.5',
      Cookie: 'tz=Asia/Tokyo',
    });
    const text = visibleText(html);
    expect(html).toContain('<html lang="fr">');
    expect(text).toContain('Ouvert');
    expect(text).toContain('Dernière activité');
    expect(text).toContain('Heures affichées dans le fuseau Asia/Tokyo.');
    const [iso] = /datetime="([^"]+)"/.exec(html)!.slice(1);
    const tokyo = new Intl.DateTimeFormat('fr-FR', {
      timeZone: 'Asia/Tokyo',
      dateStyle: 'medium',
      timeStyle: 'short',
    });
    expect(text).toContain(tokyo.format(new Date(iso!)));
  });

  it('speaks German to a German browser (de-AT), with dates and ages as German writes them', async () => {
    const { html } = await get('/', {
      'Accept-Language': 'de-AT,de;q=0.9,en;q=0.5',
      Cookie: 'tz=Europe/Berlin',
    });
    const text = visibleText(html);
    expect(html).toContain('<html lang="de">');
    expect(text).toMatch(/2 Offen 1 In Bearbeitung 1 Geschlossen \(30 Tage\) 1 Nicht zugewiesen/);
    expect(text).toContain('Letzte Aktivität');
    expect(text).toContain('Tickets filtern');
    expect(text).toContain('Zeiten in der Zeitzone Europe/Berlin.');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
    const [iso] = /datetime="([^"]+)"/.exec(html)!.slice(1);
    const berlin = new Intl.DateTimeFormat('de-DE', {
      timeZone: 'Europe/Berlin',
      dateStyle: 'medium',
      timeStyle: 'short',
    });
    expect(text).toContain(berlin.format(new Date(iso!)));
    expect(text).toMatch(/(in|vor) \d+ (Min|Std)\./);
  });
});

describe('status page: list pagination', () => {
  // Keyset pagination over tickets that share last-activity timestamps: every ticket exactly once.
  describeEachDatabase('keyset', (suite) => {
    let page: RunningPage;
    let expected: number[] = [];
    beforeAll(async () => {
      await seedPeople(suite.db);
      const base = Date.parse('2026-11-01T10:00:00Z');
      const rows = Array.from({ length: 123 }, (_, i) => ({
        title: `Ticket ${i + 1}`,
        description: '',
        priority: 'normal' as const,
        requesterId: PEOPLE.requester.id,
        technicianId: null,
        sourceChannelId: null,
        sourceMessageTs: null,
        sourcePermalink: null,
        closedAt: null,
        // Three tickets per second: ties broken by id.
        lastActivityAt: new Date(base + Math.floor(i / 3) * 1000),
      }));
      const created = await suite.db.models.Ticket.bulkCreate(rows);
      const all = await suite.db.models.Ticket.findAll({
        attributes: ['id'],
        order: [
          ['lastActivityAt', 'DESC'],
          ['id', 'DESC'],
        ],
      });
      expected = all.map((t) => t.id);
      expect(created).toHaveLength(123);
      page = await startStatusPage(suite.db, suite.url);
    });
    afterAll(async () => {
      await page?.close();
    });

    const fetchPage = async (path: string) => {
      const html = await (await fetch(`${page.url}${path}`)).text();
      const next = /href="([^"]+)" rel="next"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
      const previous = /href="([^"]+)" rel="prev"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
      return { ids: listedTicketIds(html), next, previous };
    };

    it('walks forward through every ticket exactly once, 50 at a time', async () => {
      const seen: number[] = [];
      let path: string | undefined = '/';
      const sizes: number[] = [];
      while (path) {
        const result = await fetchPage(path);
        seen.push(...result.ids);
        sizes.push(result.ids.length);
        path = result.next;
      }
      expect(sizes).toEqual([50, 50, 23]);
      expect(seen).toEqual(expected);
    });

    it('goes back to the previous page from a deep one', async () => {
      const first = await fetchPage('/');
      expect(first.previous).toBeUndefined();
      const second = await fetchPage(first.next!);
      const third = await fetchPage(second.next!);
      const backToSecond = await fetchPage(third.previous!);
      expect(backToSecond.ids).toEqual(second.ids);
      const backToFirst = await fetchPage(backToSecond.previous!);
      expect(backToFirst.ids).toEqual(first.ids);
      expect(backToFirst.previous).toBeUndefined();
    });

    it('pages through search results the same way (MySQL reads a window first, then its FULLTEXT index)', async () => {
      const seen: number[] = [];
      let path: string | undefined = '/?q=ticket';
      while (path) {
        const result = await fetchPage(path);
        seen.push(...result.ids);
        path = result.next;
      }
      expect(seen).toEqual(expected);
      const titles = (ids: number[]) =>
        suite.db.models.Ticket.findAll({ where: { id: ids }, order: [['id', 'ASC']] });
      const narrowed = await fetchPage('/?q=ticket+12');
      expect((await titles(narrowed.ids)).map((t) => t.title)).toEqual([
        'Ticket 12',
        'Ticket 120',
        'Ticket 121',
        'Ticket 122',
        'Ticket 123',
      ]);
    });

    it('keeps the filters and the sort while paging', async () => {
      const first = await fetchPage('/?sort=created_asc&status=open');
      expect(first.next).toContain('status=open');
      expect(first.next).toContain('sort=created_asc');
      const second = await fetchPage(first.next!);
      expect(second.ids[0]).toBe(first.ids[49]! + 1);
    });
  });
});
