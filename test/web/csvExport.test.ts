import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import {
  assignTicket,
  changeStatus,
  createTicket,
  rateTicket,
  saveRequestType,
} from '../../src/tickets/index.js';
import { SessionStore } from '../../src/web/sessions.js';
import { CSV_BATCH_SIZE, csvLines, neutralised, writeTicketsCsv } from '../../src/web/status/ticketCsv.js';
import { parseTicketFilters } from '../../src/web/status/ticketFilters.js';
import { describeEachDatabase } from '../support/db.js';
import { basic, PEOPLE, type RunningPage, seedPeople, signInEnv, startStatusPage } from './support.js';

// The ticket list as CSV (issue 15 §4): the list's filters and access rules, RFC 4180 with a
// byte-order mark, formula injection neutralised, streamed in keyset batches.

/** RFC 4180 read strictly: CRLF after every record, quoted fields with doubled quotes. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i += 1;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote < 0) throw new Error('unterminated quote');
        field += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          field += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
    } else {
      const end = text.slice(i).search(/[,\r\n]/);
      field = end < 0 ? text.slice(i) : text.slice(i, i + end);
      if (field.includes('"')) throw new Error(`bare quote in ${field}`);
      i += field.length;
    }
    record.push(field);
    if (text[i] === ',') {
      i += 1;
    } else if (text.startsWith('\r\n', i)) {
      records.push(record);
      record = [];
      i += 2;
    } else {
      throw new Error(`expected , or CRLF at ${i}: ${JSON.stringify(text.slice(i, i + 10))}`);
    }
  }
  if (record.length > 0) throw new Error('last record without CRLF');
  return records;
}

it('quotes commas, quotes, CR and LF, ends records with CRLF, and neutralises formulas', () => {
  expect(csvLines([['a,b', 'say "hi"', 'one\ntwo', 'cr\rhere', 'Café ☕ 日本', 'plain']])).toBe(
    '"a,b","say ""hi""","one\ntwo","cr\rhere",Café ☕ 日本,plain\r\n',
  );
  for (const prefix of ['=', '+', '-', '@', '\t', '\r']) {
    expect(neutralised(`${prefix}1+1`)).toBe(`'${prefix}1+1`);
  }
  expect(neutralised('1-1')).toBe('1-1');
  expect(csvLines([['=SUM(A1:A9)', '\tx']])).toBe("'=SUM(A1:A9),'\tx\r\n");
});

describeEachDatabase('status page: ticket list as CSV', (suite) => {
  const teamId = 'T0CSVTEAM';
  const password = { STATUS_PAGE_USER: 'manager', STATUS_PAGE_PASSWORD: 'correct horse battery' };
  let slackPage: RunningPage;
  let localPage: RunningPage;
  let passwordPage: RunningPage;
  const cookies: Record<string, string> = {};
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    const services = await seedPeople(suite.db);
    const { requester, otherRequester, technician, admin } = PEOPLE;
    const hardware = await saveRequestType(services.as(admin.id), { name: 'Hardware, "big"' });
    const hr = await saveRequestType(services.as(admin.id), {
      name: 'HR',
      isPrivate: true,
      channelId: 'G0HRPRIV01',
    });
    const create = async (who: string, props: Parameters<typeof createTicket>[1]) =>
      (await createTicket(services.as(who), props)).ticket.id;
    ids.printer = await create(requester.id, {
      title: 'Printer, "jammed"\r\nagain — Café ☕ 日本',
      priority: 'high',
      requestTypeId: hardware.id,
    });
    ids.formula = await create(requester.id, { title: '=HYPERLINK("http://evil.example","x")' });
    ids.plus = await create(otherRequester.id, { title: '+1 call me', priority: 'urgent' });
    ids.minus = await create(otherRequester.id, { title: '-2 degrees in room 4' });
    ids.at = await create(otherRequester.id, { title: '@SUM(1,2)' });
    ids.tab = await create(otherRequester.id, { title: 'indented' });
    // Slack's modal trims a title; one stored by another way keeps its tab.
    await suite.db.models.Ticket.update({ title: '\tindented' }, { where: { id: ids.tab } });
    ids.alicePrivate = await create(requester.id, { title: 'Salary walrus-9281', requestTypeId: hr.id });
    ids.brunoPrivate = await create(otherRequester.id, { title: 'Leave narwhal-5530', requestTypeId: hr.id });
    await assignTicket(services.as(technician.id), { ticketId: ids.printer, technicianId: technician.id });
    await changeStatus(services.as(technician.id), { ticketId: ids.printer, status: 'closed' });
    await rateTicket(services.as(requester.id), { ticketId: ids.printer, score: 4 });

    slackPage = await startStatusPage(
      suite.db,
      suite.url,
      signInEnv('http://127.0.0.1:9', 'http://127.0.0.1'),
      undefined,
      {
        teamId,
      },
    );
    localPage = await startStatusPage(suite.db, suite.url);
    passwordPage = await startStatusPage(suite.db, suite.url, password);
    const sessions = new SessionStore(suite.db, { idleMs: 3_600_000, maxMs: 3_600_000 });
    for (const person of [requester, otherRequester, technician]) {
      const { id } = await sessions.start({ userId: person.id, teamId, name: person.name });
      cookies[person.id] = `ticketbot_session=${id}`;
    }
  });
  afterAll(async () => {
    await slackPage?.close();
    await localPage?.close();
    await passwordPage?.close();
  });

  const download = async (page: RunningPage, path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${page.url}${path}`, { headers, redirect: 'manual' });
    expect(response.status).toBe(200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    expect(text.startsWith('\uFEFF')).toBe(true);
    const [header = [], ...rows] = parseCsv(text.slice(1));
    return { response, header, rows, column: (name: string) => rows.map((row) => row[header.indexOf(name)]) };
  };
  const asTechnician = () => ({ cookie: cookies[PEOPLE.technician.id] ?? '' });
  const idsOf = (rows: string[][]) => rows.map((row) => Number(row[0]));

  it('sends every ticket a technician may list, as an attachment, with its headers and columns', async () => {
    const { response, header, rows } = await download(slackPage, '/tickets.csv', asTechnician());
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="tickets-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(header).toEqual([
      'id',
      'title',
      'status',
      'priority',
      'request_type',
      'requester',
      'technician',
      'created',
      'updated',
      'closed',
      'rating',
    ]);
    expect(idsOf(rows)).toEqual(Object.values(ids).sort((a, b) => a - b));
    const printer = rows.find((row) => Number(row[0]) === ids.printer);
    expect(printer).toEqual([
      String(ids.printer),
      'Printer, "jammed"\r\nagain — Café ☕ 日本',
      'closed',
      'high',
      'Hardware, "big"',
      PEOPLE.requester.name,
      PEOPLE.technician.name,
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      '4',
    ]);
  });

  it('neutralises cells a spreadsheet would run as formulas', async () => {
    const { rows, column } = await download(slackPage, '/tickets.csv', asTechnician());
    const title = (id: number | undefined) => rows.find((row) => Number(row[0]) === id)?.[1];
    expect(title(ids.formula)).toBe(`'=HYPERLINK("http://evil.example","x")`);
    expect(title(ids.plus)).toBe("'+1 call me");
    expect(title(ids.minus)).toBe("'-2 degrees in room 4");
    expect(title(ids.at)).toBe("'@SUM(1,2)");
    expect(title(ids.tab)).toBe("'\tindented");
    for (const cell of rows.flat()) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(column('closed').filter(Boolean)).toHaveLength(1);
  });

  it('honours the list’s filters and ignores its page cursor', async () => {
    const urgent = await download(slackPage, '/tickets.csv?priority=urgent', asTechnician());
    expect(idsOf(urgent.rows)).toEqual([ids.plus]);
    const bruno = await download(
      slackPage,
      `/tickets.csv?requester=${PEOPLE.otherRequester.id}&status=open&after=${ids.tab}`,
      asTechnician(),
    );
    expect(idsOf(bruno.rows)).toEqual([ids.plus, ids.minus, ids.at, ids.tab, ids.brunoPrivate]);
    const search = await download(slackPage, '/tickets.csv?q=printer', asTechnician());
    expect(idsOf(search.rows)).toEqual([ids.printer]);
    const closed = await download(
      slackPage,
      `/tickets.csv?technician=${PEOPLE.technician.id}`,
      asTechnician(),
    );
    expect(idsOf(closed.rows)).toEqual([ids.printer]);
    const nobody = await download(slackPage, '/tickets.csv?requester=Zorro', asTechnician());
    expect(nobody.rows).toEqual([]);
  });

  it('gives a requester only their own tickets, their private ones included, whatever the query says', async () => {
    const alice = { cookie: cookies[PEOPLE.requester.id] ?? '' };
    const own = await download(slackPage, '/tickets.csv', alice);
    expect(idsOf(own.rows)).toEqual([ids.printer, ids.formula, ids.alicePrivate]);
    const asked = await download(slackPage, `/tickets.csv?requester=${PEOPLE.otherRequester.id}`, alice);
    expect(idsOf(asked.rows)).toEqual([ids.printer, ids.formula, ids.alicePrivate]);
    const bruno = await download(slackPage, '/tickets.csv', {
      cookie: cookies[PEOPLE.otherRequester.id] ?? '',
    });
    expect(idsOf(bruno.rows)).not.toContain(ids.alicePrivate);
    expect(idsOf(bruno.rows)).toContain(ids.brunoPrivate);
  });

  for (const [who, page, headers] of [
    ['a browser on this machine', () => localPage, {}],
    ['the shared password', () => passwordPage, { authorization: basic('manager', 'correct horse battery') }],
  ] as const) {
    it(`${who} gets every ticket but the private ones`, async () => {
      const { rows } = await download(page(), '/tickets.csv', headers);
      expect(idsOf(rows)).not.toContain(ids.alicePrivate);
      expect(idsOf(rows)).not.toContain(ids.brunoPrivate);
      expect(idsOf(rows)).toContain(ids.printer);
      const text = rows.flat().join(' ');
      expect(text).not.toContain('walrus');
      expect(text).not.toContain('narwhal');
      expect(idsOf((await download(page(), '/tickets.csv?type=none', headers)).rows)).toHaveLength(5);
    });
  }

  it('asks who it is before sending anything, and is linked from the list with its filters', async () => {
    const anonymous = await fetch(`${slackPage.url}/tickets.csv`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe(`/signin?back=${encodeURIComponent('/tickets.csv')}`);
    const list = await (await fetch(`${slackPage.url}/?priority=urgent`, { headers: asTechnician() })).text();
    expect(list).toContain('href="/tickets.csv?priority=urgent" download');
    expect(list).toContain('Download CSV');
    const plain = await (await fetch(`${localPage.url}/`)).text();
    expect(plain).toContain('href="/tickets.csv" download');
  });
});

describeEachDatabase('status page: CSV of more than one batch', (suite) => {
  let page: RunningPage;
  beforeAll(async () => {
    await seedPeople(suite.db);
    const now = new Date();
    await suite.db.models.Ticket.bulkCreate(
      Array.from({ length: 1_200 }, (_, i) => ({
        title: `Bulk ticket ${i}`,
        description: '',
        priority: 'normal' as const,
        requesterId: i % 2 ? PEOPLE.requester.id : PEOPLE.otherRequester.id,
        technicianId: null,
        sourceChannelId: null,
        sourceMessageTs: null,
        sourcePermalink: null,
        closedAt: null,
        lastActivityAt: now,
      })),
    );
    page = await startStatusPage(suite.db, suite.url);
  });
  afterAll(async () => {
    await page?.close();
  });

  it('writes all 1,200 tickets once each, in id order', async () => {
    expect(1_200).toBeGreaterThan(2 * CSV_BATCH_SIZE);
    const response = await fetch(`${page.url}/tickets.csv`);
    const text = await response.text();
    const [header = [], ...rows] = parseCsv(text.replace(/^\uFEFF/, ''));
    expect(header).not.toContain('request_type');
    const listed = rows.map((row) => Number(row[0]));
    expect(listed).toHaveLength(1_200);
    expect(new Set(listed).size).toBe(1_200);
    expect(listed).toEqual([...listed].sort((a, b) => a - b));
    expect(rows[0]?.[1]).toBe('Bulk ticket 0');
    expect(rows[1_199]?.[1]).toBe('Bulk ticket 1199');
    const mine = await (await fetch(`${page.url}/tickets.csv?requester=${PEOPLE.requester.id}`)).text();
    expect(parseCsv(mine.replace(/^\uFEFF/, ''))).toHaveLength(601);
  });

  it('stops reading when the client goes away while a batch waits to be sent', async () => {
    const chunks: string[] = [];
    // A client that takes the header row, then reads nothing more and hangs up.
    const client = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString('utf8'));
        if (chunks.length === 1) done();
        else setImmediate(() => client.destroy());
      },
    });
    const query = vi.spyOn(suite.db.sequelize, 'query');
    let batchesRead = 0;
    try {
      await writeTicketsCsv(suite.db, parseTicketFilters({}), {}, client, {
        withTypes: false,
        header: ['id', 'title'],
      });
      batchesRead = query.mock.calls.filter(([sql]) => String(sql).includes('FROM tickets t')).length;
    } finally {
      query.mockRestore();
    }
    expect(batchesRead).toBe(1);
    expect(chunks).toHaveLength(2);
    expect(parseCsv(chunks[1] ?? '')).toHaveLength(CSV_BATCH_SIZE);
  });
});
