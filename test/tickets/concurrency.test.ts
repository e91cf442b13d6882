import mysql from 'mysql2/promise';
import { QueryTypes, Transaction } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/index.js';
import { migrateUp } from '../../src/db/migrate.js';
import { sqlWrite } from '../../src/db/sql.js';
import { runInTransaction } from '../../src/db/transaction.js';
import { createLogger } from '../../src/logger.js';
import { Conflict, changeStatus, InvalidTransition, type TicketServices } from '../../src/tickets/index.js';
import {
  createEmptyTestDatabase,
  createTestDatabase,
  databaseKinds,
  describeEachDatabase,
} from '../support/db.js';
import { deferred } from '../support/deferred.js';
import {
  as,
  eventsOf,
  newTicket,
  SECOND_TECHNICIAN,
  TECHNICIAN,
  ticketServices,
} from '../support/tickets.js';

const technicians = [TECHNICIAN, SECOND_TECHNICIAN];

describeEachDatabase('concurrent changes to one ticket', (suite) => {
  let services: TicketServices;
  beforeAll(async () => {
    services = await ticketServices(suite.db);
  });

  it('20 clicks on a card showing version 1: one applies, 19 get Conflict with the new state', async () => {
    const ticket = await newTicket(services);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        changeStatus(as(services, technicians[i % 2]!), {
          ticketId: ticket.id,
          status: i % 3 === 0 ? 'closed' : 'in_progress',
          expectedVersion: 1,
        }),
      ),
    );
    const applied = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(applied).toHaveLength(1);
    expect(refused).toHaveLength(19);
    const stored = await suite.db.models.Ticket.findByPk(ticket.id);
    for (const { reason } of refused) {
      expect(reason).toBeInstanceOf(Conflict);
      expect((reason as Conflict).ticket).toMatchObject({ version: 2, status: stored?.status });
    }
    expect(stored?.version).toBe(2);
    const events = await eventsOf(suite.db, ticket.id);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ type: 'status_changed', from: 'open', to: stored?.status, version: 2 });
  });

  it('20 status changes without versions leave one unbroken history', async () => {
    const ticket = await newTicket(services);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        changeStatus(as(services, technicians[i % 2]!), {
          ticketId: ticket.id,
          status: i % 2 === 0 ? 'in_progress' : 'open',
        }),
      ),
    );
    const applied = results.filter((r) => r.status === 'fulfilled').length;
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(InvalidTransition);
    }
    expect(applied).toBeGreaterThanOrEqual(1);

    const stored = await suite.db.models.Ticket.findByPk(ticket.id);
    const events = (await eventsOf(suite.db, ticket.id)).slice(1);
    // One event per applied change, versions without gaps, each change starting where the last ended.
    expect(events).toHaveLength(applied);
    expect(stored?.version).toBe(1 + applied);
    let status = 'open';
    events.forEach((event, index) => {
      expect(event.version).toBe(index + 2);
      expect(event.from).toBe(status);
      expect(event.to).not.toBe(status);
      status = event.to!;
    });
    expect(stored?.status).toBe(status);
  });
});

const mysqlKind = databaseKinds().find((kind) => kind.kind === 'mysql')!;

// Two transactions that each hold a row the other then wants: InnoDB rolls one back (1213). Its
// statements ran through the driver (src/db/sql.ts), so the error is mysql2's own.
describe.skipIf(Boolean(mysqlKind.skipReason))('transactions the server rolls back [mysql]', () => {
  let created: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Database;
  beforeAll(async () => {
    created = await createTestDatabase('mysql');
    db = created.db;
    await db.sequelize.query('CREATE TABLE lock_probe (id INT PRIMARY KEY, n INT NOT NULL)');
    await db.sequelize.query('INSERT INTO lock_probe (id, n) VALUES (1, 0), (2, 0), (3, 0)');
  });
  afterAll(async () => created?.drop());

  const counts = async () => {
    const rows = await db.sequelize.query<{ id: number; n: number }>('SELECT id, n FROM lock_probe', {
      type: QueryTypes.SELECT,
    });
    return { 1: 0, 2: 0, 3: 0, ...Object.fromEntries(rows.map((row) => [row.id, Number(row.n)])) };
  };
  const bump = (transaction: Transaction, id: number) =>
    sqlWrite(db, transaction, 'UPDATE lock_probe SET n = n + 1 WHERE id = ?', [id]);

  it('a deadlock victim runs again and both transactions commit', async () => {
    const before = await counts();
    const { promise: oneHeld, resolve: firstHoldsOne } = deferred();
    const { promise: twoHeld, resolve: secondHoldsTwo } = deferred();
    const attempts = { first: 0, second: 0 };
    const [first, second] = await Promise.allSettled([
      runInTransaction(db, async (transaction) => {
        attempts.first += 1;
        await bump(transaction, 1);
        if (attempts.first === 1) {
          firstHoldsOne();
          await twoHeld;
        }
        await bump(transaction, 2);
      }),
      runInTransaction(db, async (transaction) => {
        attempts.second += 1;
        if (attempts.second === 1) await oneHeld;
        await bump(transaction, 2);
        if (attempts.second === 1) secondHoldsTwo();
        await bump(transaction, 1);
      }),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('fulfilled');
    // One of them was the victim and ran twice; each committed its two updates once.
    expect(attempts.first + attempts.second).toBe(3);
    const after = await counts();
    expect(after[1]).toBe(before[1]! + 2);
    expect(after[2]).toBe(before[2]! + 2);
  });

  it('a lock wait timeout (1205) runs the transaction again once the lock is free', async () => {
    const before = await counts();
    const holder = await mysql.createConnection({ uri: created.url });
    await holder.query('START TRANSACTION');
    await holder.query('UPDATE lock_probe SET n = n + 100 WHERE id = 3');
    let attempts = 0;
    try {
      await runInTransaction(db, async (transaction) => {
        attempts += 1;
        // Wait one second for the row instead of the default fifty.
        await sqlWrite(db, transaction, 'SET SESSION innodb_lock_wait_timeout = 1', []);
        if (attempts === 2) await holder.query('COMMIT');
        await bump(transaction, 3);
        await sqlWrite(db, transaction, 'SET SESSION innodb_lock_wait_timeout = DEFAULT', []);
      });
    } finally {
      await holder.end();
    }
    expect(attempts).toBe(2);
    expect((await counts())[3]).toBe(before[3]! + 101);
  });
});

// SQLite: another connection (a second process) holds the write lock, so BEGIN IMMEDIATE is
// refused with SQLITE_BUSY (at once here: sqliteFailOnLock); the change waits its turn and is applied.
describe('a write lock held by another process [sqlite]', () => {
  let empty: Awaited<ReturnType<typeof createEmptyTestDatabase>>;
  let app: Database;
  let other: Database;
  const begins: string[] = [];
  let releaseAtSecondBegin: (() => void) | undefined;
  beforeAll(async () => {
    empty = await createEmptyTestDatabase('sqlite');
    const logger = createLogger('trace', {
      write: (line: string) => {
        const { sql } = JSON.parse(line) as { sql?: string };
        if (!sql?.includes('BEGIN IMMEDIATE')) return;
        begins.push(sql);
        if (begins.length === 2) releaseAtSecondBegin?.();
      },
    });
    app = createDatabase(empty.url, { sqliteFailOnLock: true, logger });
    await app.sequelize.query('PRAGMA journal_mode = WAL');
    await migrateUp(app);
    other = createDatabase(empty.url);
  });
  afterAll(async () => {
    await app?.close();
    await other?.close();
    await empty?.drop();
  });

  it('a change refused with SQLITE_BUSY is tried again and applied', async () => {
    const services = await ticketServices(app);
    const ticket = await newTicket(services);
    begins.length = 0;
    const held = await other.sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE });
    releaseAtSecondBegin = () => void held.commit();
    await changeStatus(as(services, TECHNICIAN), { ticketId: ticket.id, status: 'in_progress' });
    expect(begins.length).toBeGreaterThanOrEqual(2);
    expect(await app.models.Ticket.findByPk(ticket.id)).toMatchObject({ status: 'in_progress', version: 2 });
  });
});
