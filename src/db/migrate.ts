import { SequelizeStorage, Umzug } from 'umzug';
import { migrations } from '../../migrations/index.js';
import type { Logger } from '../logger.js';
import type { Database } from './index.js';

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

/**
 * Runs `work` while holding a database-wide lock on MySQL, so replicas starting together
 * do not race each other through the same migrations. SQLite has a single writer already.
 */
async function withMigrationLock<T>(db: Database, work: () => Promise<T>): Promise<T> {
  if (db.dialect !== 'mysql') return work();
  // GET_LOCK belongs to a connection: a transaction pins one connection for the lock's life
  // while the migrations themselves run on others.
  return db.sequelize.transaction(async (transaction) => {
    const [rows] = (await db.sequelize.query("SELECT GET_LOCK('ticketbot_migrations', 120) AS got", {
      transaction,
    })) as [Array<{ got: number | null }>, unknown];
    if (Number(rows[0]?.got) !== 1)
      throw new Error('Timed out waiting for another process to finish migrating');
    try {
      return await work();
    } finally {
      await db.sequelize.query("SELECT RELEASE_LOCK('ticketbot_migrations')", { transaction });
    }
  });
}

/** Applies every pending migration; returns the names applied. */
export async function migrateUp(db: Database, logger?: Logger): Promise<string[]> {
  return withMigrationLock(db, async () => {
    const applied = await createMigrator(db, logger).up();
    return applied.map((m) => m.name);
  });
}

export async function migrateDown(db: Database, options: { to?: string | 0 } = {}, logger?: Logger) {
  return withMigrationLock(db, async () => {
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
