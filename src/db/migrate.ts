import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { SequelizeStorage, Umzug } from 'umzug';
import { migrations } from '../../migrations/index.js';
import type { Logger } from '../logger.js';
import type { Database } from './index.js';
import { sqlWriteOnce } from './sql.js';

export function createMigrator(db: Database, logger?: Logger) {
  const qi = db.sequelize.getQueryInterface();
  return new Umzug({
    migrations: migrations.map((migration) => ({
      name: migration.name,
      up: () => migration.up(qi),
      down: () => migration.down(qi),
    })),
    context: qi,
    storage: new SequelizeStorage({ sequelize: db.sequelize, tableName: 'schema_migrations' }),
    logger: logger
      ? {
          // Each step at debug: start-up says how many were applied, in its first lines.
          info: (event) => logger.debug(event, 'migration'),
          warn: (event) => logger.warn(event, 'migration'),
          error: (event) => logger.error(event, 'migration'),
          debug: (event) => logger.debug(event, 'migration'),
        }
      : undefined,
  });
}

// The migration lease: one row in a small table of its own, created if missing (before the
// migrations, which it guards). GET_LOCK cannot guard them on Galera: MariaDB refuses it there
// (1235) or grants it per node, so two replicas starting together behind a load balancer
// would both migrate (test/galera/harness.test.ts shows which this cluster does). A row updated
// by one atomic statement is the same on every database: whoever's UPDATE matched it holds the
// lease until `expires_at` (milliseconds since the epoch), renewed while the work goes on, so a
// migrator that died is taken over once its lease runs out instead of blocking everyone.
const LEASE_TABLE = 'schema_migration_lease';
const LEASE_NAME = 'migrations';

export interface MigrationLeaseOptions {
  /** How long a lease lasts unless renewed (renewed every third of it while migrating). */
  leaseMs?: number;
  /** How long to wait for another migrator before giving up. */
  waitMs?: number;
  /** Between two tries to take a lease someone else holds. */
  pollMs?: number;
}

const DEFAULT_LEASE: Required<MigrationLeaseOptions> = { leaseMs: 60_000, waitMs: 300_000, pollMs: 250 };

async function ensureLeaseRow(db: Database): Promise<void> {
  await sqlWriteOnce(
    db,
    `CREATE TABLE IF NOT EXISTS ${LEASE_TABLE} (
       name VARCHAR(64) NOT NULL PRIMARY KEY,
       owner VARCHAR(64) NOT NULL,
       expires_at BIGINT NOT NULL
     )`,
    [],
  );
  const insert = db.dialect === 'mysql' ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
  await sqlWriteOnce(db, `${insert} INTO ${LEASE_TABLE} (name, owner, expires_at) VALUES (?, '', 0)`, [
    LEASE_NAME,
  ]);
}

/** Takes the lease if it is free, expired or already ours; true when `owner` holds it now. */
export async function takeMigrationLease(db: Database, owner: string, leaseMs: number): Promise<boolean> {
  const now = Date.now();
  const { affectedRows } = await sqlWriteOnce(
    db,
    `UPDATE ${LEASE_TABLE} SET owner = ?, expires_at = ? WHERE name = ? AND (expires_at < ? OR owner = ?)`,
    [owner, now + leaseMs, LEASE_NAME, now, owner],
  );
  return affectedRows === 1;
}

async function releaseMigrationLease(db: Database, owner: string): Promise<void> {
  await sqlWriteOnce(
    db,
    `UPDATE ${LEASE_TABLE} SET owner = '', expires_at = 0 WHERE name = ? AND owner = ?`,
    [LEASE_NAME, owner],
  );
}

/**
 * Runs `work` while holding the migration lease, so replicas starting together do not race
 * each other through the same migrations (on SQLite too: two processes may share one file).
 */
async function withMigrationLease<T>(
  db: Database,
  work: () => Promise<T>,
  options: MigrationLeaseOptions = {},
): Promise<T> {
  const { leaseMs, waitMs, pollMs } = { ...DEFAULT_LEASE, ...options };
  const owner = `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(4).toString('hex')}`;
  await ensureLeaseRow(db);
  const giveUpAt = Date.now() + waitMs;
  while (!(await takeMigrationLease(db, owner, leaseMs))) {
    if (Date.now() > giveUpAt) throw new Error('Timed out waiting for another process to finish migrating');
    await sleep(pollMs);
  }
  let renewal: Promise<unknown> = Promise.resolve();
  let lost: Error | undefined;
  const timer = setInterval(
    () => {
      renewal = takeMigrationLease(db, owner, leaseMs).then(
        (held) => {
          if (!held) lost = new Error('The migration lease was taken over while migrating');
        },
        (error: unknown) => {
          lost = error instanceof Error ? error : new Error(String(error));
        },
      );
    },
    Math.max(1, Math.floor(leaseMs / 3)),
  );
  try {
    const result = await work();
    if (lost) throw lost;
    return result;
  } finally {
    clearInterval(timer);
    await renewal;
    await releaseMigrationLease(db, owner);
  }
}

/** Applies every pending migration; returns the names applied. */
export async function migrateUp(
  db: Database,
  logger?: Logger,
  lease?: MigrationLeaseOptions,
): Promise<string[]> {
  return withMigrationLease(
    db,
    async () => {
      const applied = await createMigrator(db, logger).up();
      return applied.map((m) => m.name);
    },
    lease,
  );
}

export async function migrateDown(db: Database, options: { to?: string | 0 } = {}, logger?: Logger) {
  return withMigrationLease(db, async () => {
    const reverted = await createMigrator(db, logger).down(
      options.to === undefined ? {} : { to: options.to },
    );
    return reverted.map((m) => m.name);
  });
}

export async function migrationStatus(db: Database) {
  const migrator = createMigrator(db);
  const executed = (await migrator.executed()).map((m) => m.name);
  const pending = (await migrator.pending()).map((m) => m.name);
  return { executed, pending };
}
