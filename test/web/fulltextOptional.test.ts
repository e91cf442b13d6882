import { expect, it } from 'vitest';
import {
  addFulltextIndexIfSupported,
  forgetTitleFulltext,
  hasIndex,
  hasTitleFulltext,
  TITLE_FULLTEXT_INDEX,
} from '../../src/db/fulltext.js';
import { createTicket } from '../../src/tickets/index.js';
import { parseTicketFilters } from '../../src/web/status/ticketFilters.js';
import { loadTicketPage } from '../../src/web/status/ticketList.js';
import { describeEachDatabase } from '../support/db.js';
import { as, REQUESTER, ticketServices } from '../support/tickets.js';

// FULLTEXT is optional (src/db/fulltext.ts): a server that cannot make the index migrates without
// it, and the status page's title search then decides by LIKE alone.

describeEachDatabase('FULLTEXT is optional', (suite) => {
  const search = async (q: string) =>
    (await loadTicketPage(suite.db, parseTicketFilters({ q }))).tickets.map((ticket) => ticket.title);

  it('title search finds the same tickets with the index and without it', async () => {
    const services = await ticketServices(suite.db);
    for (const title of ['Printer on 3rd floor jams', 'VPN drops every hour', 'Printer toner empty'])
      await createTicket(as(services, REQUESTER), { title, priority: 'normal' });
    expect(await hasTitleFulltext(suite.db)).toBe(suite.kind === 'mysql');
    const withIndex = [await search('printer'), await search('vpn hour'), await search('toner')];
    expect(withIndex).toEqual([
      ['Printer toner empty', 'Printer on 3rd floor jams'],
      ['VPN drops every hour'],
      ['Printer toner empty'],
    ]);
    if (suite.kind === 'mysql') {
      await suite.db.sequelize.query(`ALTER TABLE tickets DROP INDEX ${TITLE_FULLTEXT_INDEX}`);
      forgetTitleFulltext(suite.db);
      expect(await hasTitleFulltext(suite.db)).toBe(false);
    }
    expect([await search('printer'), await search('vpn hour'), await search('toner')]).toEqual(withIndex);
  });

  it.runIf(suite.kind === 'mysql')(
    'the migration goes on when the server cannot make the index (1214 on a MEMORY table)',
    async () => {
      const qi = suite.db.sequelize.getQueryInterface();
      await suite.db.sequelize.query(
        'CREATE TABLE ft_memory (id INT PRIMARY KEY, title VARCHAR(200)) ENGINE=MEMORY',
      );
      await suite.db.sequelize.query(
        'CREATE TABLE ft_innodb (id INT PRIMARY KEY, title VARCHAR(200)) ENGINE=InnoDB',
      );
      try {
        expect(await addFulltextIndexIfSupported(qi, 'ft_memory', 'ft_memory_title', 'title')).toBe(false);
        expect(await hasIndex(qi, 'ft_memory', 'ft_memory_title')).toBe(false);
        expect(await addFulltextIndexIfSupported(qi, 'ft_innodb', 'ft_innodb_title', 'title')).toBe(true);
        expect(await hasIndex(qi, 'ft_innodb', 'ft_innodb_title')).toBe(true);
        // Anything else is still an error.
        await expect(addFulltextIndexIfSupported(qi, 'ft_missing', 'x', 'title')).rejects.toThrow();
      } finally {
        await suite.db.sequelize.query('DROP TABLE IF EXISTS ft_memory, ft_innodb');
      }
    },
  );
});
