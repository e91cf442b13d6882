import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/index.js';
import { sqlRead, sqlWrite } from '../../src/db/sql.js';
import { CommitOutcomeUnknown, runInTransaction } from '../../src/db/transaction.js';
import { cardsToCatchUp, insertCard, releaseCardLease } from '../../src/slack/store/cards.js';
import { changeTicket } from '../../src/tickets/change.js';
import { AlreadySubmitted, createTicket } from '../../src/tickets/createTicket.js';
import { ticketIdBySubmissionKey } from '../../src/tickets/statements.js';
import { createTestDatabase, databaseKinds } from '../support/db.js';
import { MysqlProxy } from '../support/mysqlProxy.js';
import { as, eventsOf, newTicket, TECHNICIAN, ticketServices } from '../support/tickets.js';

// The database server drops ticketbot's connections (a restart, a failover, wait_timeout, KILL).

const mysqlKind = databaseKinds().find((kind) => kind.kind === 'mysql')!;

describe.skipIf(Boolean(mysqlKind.skipReason))('a database outage [mysql]', () => {
  let created: Awaited<ReturnType<typeof createTestDatabase>>;
  let admin: mysql.Connection;
  beforeAll(async () => {
    created = await createTestDatabase('mysql');
    admin = await mysql.createConnection({ uri: inject('mysqlServerUrl')! });
    await created.db.sequelize.query(
      'CREATE TABLE outage_probe (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(64) NOT NULL)',
    );
  });
  afterAll(async () => {
    await admin?.end();
    await created?.drop();
  });

  const connectionId = async (db: Database, transaction: Parameters<typeof sqlRead>[1]) => {
    const [row] = await sqlRead<{ id: number }>(db, transaction, 'SELECT CONNECTION_ID() AS id', []);
    return Number(row!.id);
  };
  const notes = async (note: string) => {
    const [rows] = (await admin.query(
      `SELECT COUNT(*) AS n FROM \`${new URL(created.url).pathname.slice(1)}\`.outage_probe WHERE note = ?`,
      [note],
    )) as [Array<{ n: number }>, unknown];
    return Number(rows[0]!.n);
  };

  it('a change right after the server killed the pooled connections is applied, not refused', async () => {
    const services = await ticketServices(created.db);
    await newTicket(services, { title: 'Before', priority: 'normal' });
    const [connections] = (await admin.query('SELECT id FROM information_schema.processlist WHERE db = ?', [
      new URL(created.url).pathname.slice(1),
    ])) as [Array<{ id: number }>, unknown];
    expect(connections.length).toBeGreaterThan(0);
    for (const { id } of connections) await admin.query(`KILL ${id}`);

    const after = await newTicket(services, { title: 'After', priority: 'normal' });
    expect(await created.db.models.Ticket.count({ where: { title: 'After' } })).toBe(1);
    expect(after.id).toBeGreaterThan(0);
  });

  it('a transaction whose connection is killed before COMMIT runs again and commits once', async () => {
    let attempts = 0;
    await runInTransaction(created.db, async (transaction) => {
      attempts += 1;
      await sqlWrite(created.db, transaction, 'INSERT INTO outage_probe (note) VALUES (?)', [
        'killed-midway',
      ]);
      if (attempts === 1) {
        await admin.query(`KILL CONNECTION ${await connectionId(created.db, transaction)}`);
      }
      // Through the driver (src/db/sql.ts): its error is mysql2's own, not wrapped by Sequelize.
      await sqlWrite(created.db, transaction, 'INSERT INTO outage_probe (note) VALUES (?)', [
        'killed-midway',
      ]);
    });
    expect(attempts).toBe(2);
    // The first attempt's row went with its connection: the server rolled it back.
    expect(await notes('killed-midway')).toBe(2);
  });

  it('a connection known dead before COMMIT is sent: nothing was committed, so it runs again', async () => {
    let attempts = 0;
    await runInTransaction(created.db, async (transaction) => {
      attempts += 1;
      await sqlWrite(created.db, transaction, 'INSERT INTO outage_probe (note) VALUES (?)', ['dead-before']);
      if (attempts > 1) return;
      await admin.query(`KILL CONNECTION ${await connectionId(created.db, transaction)}`);
      // The last statement has run; wait until the client has seen its connection close.
      const connection = (transaction as unknown as { connection: { state: string } }).connection;
      for (let i = 0; i < 250 && !['error', 'disconnected'].includes(connection.state); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
    expect(attempts).toBe(2);
    expect(await notes('dead-before')).toBe(1);
  });

  it("a ticket change killed mid-way (the change's own statements) is applied once", async () => {
    const services = await ticketServices(created.db);
    const ticket = await newTicket(services);
    let attempts = 0;
    await changeTicket(as(services, TECHNICIAN), { ticketId: ticket.id }, async (locked, _actor, t) => {
      attempts += 1;
      if (attempts === 1) await admin.query(`KILL CONNECTION ${await connectionId(created.db, t)}`);
      locked.status = 'in_progress';
      return { type: 'status_changed', from: 'open', to: 'in_progress' };
    });
    expect(attempts).toBe(2);
    const stored = await created.db.models.Ticket.findByPk(ticket.id);
    expect(stored).toMatchObject({ status: 'in_progress', version: 2 });
    expect((await eventsOf(created.db, ticket.id)).map((e) => e.type)).toEqual(['created', 'status_changed']);
  });

  describe('a connection lost while COMMIT is under way', () => {
    let proxy: MysqlProxy;
    let db: Database;
    beforeAll(async () => {
      const server = new URL(created.url);
      proxy = await MysqlProxy.start({ host: server.hostname, port: Number(server.port || 3306) });
      db = createDatabase(proxy.urlFor(created.url));
    });
    afterAll(async () => {
      await db?.close();
      await proxy?.stop();
    });

    it('killed before COMMIT reached the server: thrown, not retried, nothing written', async () => {
      let attempts = 0;
      let id = 0;
      const trap = proxy.trapNextCommit('hold');
      const run = runInTransaction(db, async (transaction) => {
        attempts += 1;
        id = await connectionId(db, transaction);
        await sqlWrite(db, transaction, 'INSERT INTO outage_probe (note) VALUES (?)', ['kill-at-commit']);
      });
      const outcome = run.then(
        () => 'committed',
        (error: unknown) => error,
      );
      await trap.arrived;
      await admin.query(`KILL CONNECTION ${id}`);
      trap.release();
      expect(await outcome).toBeInstanceOf(CommitOutcomeUnknown);
      expect(attempts).toBe(1);
      expect(await notes('kill-at-commit')).toBe(0);
    });

    it('committed but the answer lost: thrown, not retried, written once', async () => {
      let attempts = 0;
      proxy.trapNextCommit('drop-answer');
      const outcome = await runInTransaction(db, async (transaction) => {
        attempts += 1;
        await sqlWrite(db, transaction, 'INSERT INTO outage_probe (note) VALUES (?)', ['answer-lost']);
      }).then(
        () => 'committed',
        (error: unknown) => error,
      );
      expect(outcome).toBeInstanceOf(CommitOutcomeUnknown);
      expect(attempts).toBe(1);
      expect(await notes('answer-lost')).toBe(1);
    });

    it('a new ticket whose COMMIT answer is lost is found by its submission key: stored, acknowledged, card owed', async () => {
      const services = await ticketServices(db);
      proxy.trapNextCommit('drop-answer');
      const outcome = await createTicket(as(services, TECHNICIAN), {
        title: 'Stored though the answer was lost',
        priority: 'normal',
        submissionKey: 'lost-commit-stored',
        inTransaction: ({ ticket }, transaction) =>
          insertCard(db, transaction, {
            ticketId: ticket.id,
            channelId: 'C0HELPDESK',
            leaseUntil: new Date(Date.now() + 600_000),
          }),
      }).then(
        () => 'returned',
        (error: unknown) => error,
      );
      expect(outcome).toBeInstanceOf(AlreadySubmitted);
      const { ticketId, afterUnknownCommit } = outcome as AlreadySubmitted;
      expect(afterUnknownCommit).toBe(true);
      expect(await ticketIdBySubmissionKey(created.db, 'lost-commit-stored')).toBe(ticketId);
      // Its card row was stored with it: once the lease is given back, the catch-up finds it.
      expect(await cardsToCatchUp(created.db, 100)).not.toContain(ticketId);
      await releaseCardLease(created.db, ticketId);
      expect(await cardsToCatchUp(created.db, 100)).toContain(ticketId);
    });

    it('a new ticket whose COMMIT never reached the server: not stored, and the error says the outcome was checked', async () => {
      const services = await ticketServices(db);
      let id = 0;
      const trap = proxy.trapNextCommit('hold');
      const outcome = createTicket(as(services, TECHNICIAN), {
        title: 'Never stored',
        priority: 'normal',
        submissionKey: 'lost-commit-not-stored',
        inTransaction: async (_change, transaction) => {
          id = await connectionId(db, transaction);
        },
      }).then(
        () => 'returned',
        (error: unknown) => error,
      );
      await trap.arrived;
      await admin.query(`KILL CONNECTION ${id}`);
      trap.release();
      const error = await outcome;
      expect(error).toBeInstanceOf(CommitOutcomeUnknown);
      expect(await ticketIdBySubmissionKey(created.db, 'lost-commit-not-stored')).toBeUndefined();
    });
  });
});
