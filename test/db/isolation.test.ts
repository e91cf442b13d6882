import mysql from 'mysql2/promise';
import { expect, it } from 'vitest';
import { createDatabase } from '../../src/db/index.js';
import { runInTransaction } from '../../src/db/transaction.js';
import { describeEachDatabase } from '../support/db.js';

// READ COMMITTED is asked of each transaction, not set once per session: a pooler that does not
// pin sessions may hand ticketbot a server connection left at the server's default (REPEATABLE
// READ), and a rule that reads after another process's commit must still see it.

describeEachDatabase('transaction isolation', (suite) => {
  it.runIf(suite.kind === 'mysql')(
    'a transaction on a connection whose session is REPEATABLE READ still reads what others committed since it began',
    async () => {
      const db = createDatabase(suite.url, { poolMax: 1 });
      const other = await mysql.createConnection({ uri: suite.url });
      try {
        await db.sequelize.query('CREATE TABLE isolation_probe (id INT PRIMARY KEY, n INT NOT NULL)');
        await db.sequelize.query('INSERT INTO isolation_probe VALUES (1, 1)');
        // The pool's only connection, as a pooler might hand it over: session at REPEATABLE READ.
        await db.sequelize.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        const seen = await runInTransaction(db, async (transaction) => {
          const read = async () => {
            const [rows] = (await db.sequelize.query('SELECT n FROM isolation_probe WHERE id = 1', {
              transaction,
            })) as [Array<{ n: number }>, unknown];
            return rows[0]?.n;
          };
          const first = await read();
          await other.query('UPDATE isolation_probe SET n = 2 WHERE id = 1');
          return [first, await read()];
        });
        expect(seen).toEqual([1, 2]);
      } finally {
        await other.end();
        await db.sequelize.query('DROP TABLE IF EXISTS isolation_probe').catch(() => undefined);
        await db.close();
      }
    },
  );
});
