import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTicket, saveRequestType } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import { basic, listedTicketIds, PEOPLE, type RunningPage, seedPeople, startStatusPage } from './support.js';

// The status page and private request types (issue 14 §4): a private ticket is for the staff
// signed in with Slack and its requester (test/slack/privateRequests.test.ts); the shared
// identities, the Basic password and a browser on this machine, are nobody in particular and see
// no private ticket: not in the list, not in a search, and its page is "not found".

describeEachDatabase('status page: private tickets and shared identities', (suite) => {
  const password = { STATUS_PAGE_USER: 'manager', STATUS_PAGE_PASSWORD: 'correct horse battery' };
  let open: RunningPage;
  let withPassword: RunningPage;
  let privateId = 0;
  let publicId = 0;
  beforeAll(async () => {
    const services = await seedPeople(suite.db);
    const type = await saveRequestType(services.as(PEOPLE.admin.id), {
      name: 'HR',
      isPrivate: true,
      channelId: 'G0HRPRIV01',
    });
    const requester = services.as(PEOPLE.requester.id);
    publicId = (await createTicket(requester, { title: 'Projector flickers in room 4' })).ticket.id;
    privateId = (
      await createTicket(requester, {
        title: 'Salary slip walrus-9281',
        description: 'Bank details narwhal-5530',
        requestTypeId: type.id,
      })
    ).ticket.id;
    open = await startStatusPage(suite.db, suite.url);
    withPassword = await startStatusPage(suite.db, suite.url, password);
  });
  afterAll(async () => {
    await open?.close();
    await withPassword?.close();
  });

  for (const [who, page, headers] of [
    ['a browser on this machine', () => open, {}],
    ['the shared password', () => withPassword, { authorization: basic('manager', 'correct horse battery') }],
  ] as const) {
    it(`${who} sees the public tickets only`, async () => {
      const get = (path: string) => fetch(`${page().url}${path}`, { headers });
      const list = await (await get('/')).text();
      expect(listedTicketIds(list)).toContain(publicId);
      expect(listedTicketIds(list)).not.toContain(privateId);
      const search = await (await get('/?q=Salary')).text();
      expect(listedTicketIds(search)).toEqual([]);
      const detail = await get(`/tickets/${privateId}`);
      expect(detail.status).toBe(404);
      for (const body of [list, search, await detail.text()]) {
        expect(body).not.toContain('walrus');
        expect(body).not.toContain('narwhal');
      }
      expect((await get(`/tickets/${publicId}`)).status).toBe(200);
    });
  }
});
