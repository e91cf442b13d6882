import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Mutex } from 'async-mutex';
import { Sequelize } from 'sequelize';
import type { Logger } from '../logger.js';
import { Comment } from './models/comment.js';
import { EmailOutbox } from './models/emailOutbox.js';
import { EmailPreference } from './models/emailPreference.js';
import { JobRun } from './models/jobRun.js';
import { Rating } from './models/rating.js';
import { RequestType } from './models/requestType.js';
import { SlackCard } from './models/slackCard.js';
import { SlackRatingPrompt } from './models/slackRatingPrompt.js';
import { Ticket } from './models/ticket.js';
import { TicketEvent } from './models/ticketEvent.js';
import { User } from './models/user.js';

export type Dialect = 'mysql' | 'sqlite';

export interface Models {
  User: typeof User;
  Ticket: typeof Ticket;
  Comment: typeof Comment;
  Rating: typeof Rating;
  TicketEvent: typeof TicketEvent;
  EmailOutbox: typeof EmailOutbox;
  JobRun: typeof JobRun;
  SlackCard: typeof SlackCard;
  SlackRatingPrompt: typeof SlackRatingPrompt;
  RequestType: typeof RequestType;
  EmailPreference: typeof EmailPreference;
}

export interface Database {
  sequelize: Sequelize;
  dialect: Dialect;
  models: Models;
  /**
   * SQLite only: write transactions in this process take turns here. Without it, waiting
   * writers would sit in SQLite's busy handler on libuv's few threads while the lock holder
   * needs one of those threads to finish, and everything stalls.
   */
  writeQueue?: Mutex;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  logger?: Logger;
  /** Connections kept open to MySQL; SQLite has a single writer whatever this says. */
  poolMax?: number;
  /**
   * SQLite: a statement that meets another connection's write lock fails at once, instead of
   * waiting up to 15 s and being retried by Sequelize. In-process writers never meet that lock
   * (they take turns in writeQueue); tests set this to prove it.
   */
  sqliteFailOnLock?: boolean;
}

export function dialectOf(url: string): Dialect {
  return url.startsWith('sqlite:') ? 'sqlite' : 'mysql';
}

export function createSequelize(url: string, options: DatabaseOptions = {}): Sequelize {
  const logging = options.logger ? (sql: string) => options.logger?.trace({ sql }, 'sql') : false;
  if (dialectOf(url) === 'sqlite') {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    const storage = file === ':memory:' ? file : resolve(file);
    if (storage !== ':memory:') mkdirSync(dirname(storage), { recursive: true });
    const failOnLock = options.sqliteFailOnLock === true;
    const sequelize = new Sequelize({
      dialect: 'sqlite',
      storage,
      logging,
      define: { underscored: true },
      // Sequelize retries SQLITE_BUSY five times by default.
      ...(failOnLock ? { retry: { max: 1 } } : {}),
    });
    waitWhenSqliteIsBusy(sequelize, failOnLock ? 0 : 15_000);
    return sequelize;
  }
  const sequelize = new Sequelize(url.replace(/^mariadb:/, 'mysql:'), {
    dialect: 'mysql',
    logging,
    // Store and read every DATETIME as UTC whatever the server's time zone.
    timezone: '+00:00',
    pool: { max: options.poolMax ?? 10, min: 0, idle: 10_000, acquire: 30_000 },
    dialectOptions: { supportBigNumbers: true, connectTimeout: 10_000 },
    define: { underscored: true, charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  });
  return sequelize;
}

/**
 * Sequelize opens a separate SQLite connection per transaction and has no busy-timeout option,
 * so a second writer would fail at once with SQLITE_BUSY. Each connection it hands out is told
 * to wait for the lock instead (writes then queue, as SQLite's single writer requires).
 */
function waitWhenSqliteIsBusy(sequelize: Sequelize, timeoutMs: number): void {
  type SqliteConnection = { configure(option: 'busyTimeout', ms: number): void };
  const manager = (
    sequelize as unknown as { connectionManager: { getConnection(o?: unknown): Promise<SqliteConnection> } }
  ).connectionManager;
  const getConnection = manager.getConnection.bind(manager);
  manager.getConnection = async (options?: unknown) => {
    const connection = await getConnection(options);
    connection.configure('busyTimeout', timeoutMs);
    return connection;
  };
}

export function initModels(sequelize: Sequelize): Models {
  return {
    User: User.initModel(sequelize),
    Ticket: Ticket.initModel(sequelize),
    Comment: Comment.initModel(sequelize),
    Rating: Rating.initModel(sequelize),
    TicketEvent: TicketEvent.initModel(sequelize),
    EmailOutbox: EmailOutbox.initModel(sequelize),
    JobRun: JobRun.initModel(sequelize),
    SlackCard: SlackCard.initModel(sequelize),
    SlackRatingPrompt: SlackRatingPrompt.initModel(sequelize),
    RequestType: RequestType.initModel(sequelize),
    EmailPreference: EmailPreference.initModel(sequelize),
  };
}

/**
 * Runs a write that is not part of a transaction. On SQLite it takes its turn with the process's
 * write transactions (db.writeQueue): sent straight to a connection while a transaction holds the
 * write lock, it would sit out SQLite's busy timeout (15 s) and stall whoever waits on it.
 * Elsewhere it just runs.
 */
export function writeAlone<T>(db: Pick<Database, 'writeQueue'>, write: () => Promise<T>): Promise<T> {
  return db.writeQueue ? db.writeQueue.runExclusive(write) : write();
}

export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  const sequelize = createSequelize(url, options);
  return {
    sequelize,
    dialect: dialectOf(url),
    models: initModels(sequelize),
    writeQueue: dialectOf(url) === 'sqlite' ? new Mutex() : undefined,
    close: () => sequelize.close(),
  };
}

export {
  Comment,
  EmailOutbox,
  EmailPreference,
  JobRun,
  Rating,
  SlackCard,
  SlackRatingPrompt,
  Ticket,
  TicketEvent,
  User,
};
