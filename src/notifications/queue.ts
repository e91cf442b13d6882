import { Op, QueryTypes, type Transaction } from 'sequelize';
import { DELETE_BATCH_ROWS, deleteInBatches } from '../db/deleteInBatches.js';
import { type Database, writeAlone } from '../db/index.js';
import { type EmailOutbox, FINAL_OUTBOX_STATUSES } from '../db/models/emailOutbox.js';
import { runInTransaction } from '../db/transaction.js';
import { sqliteDate, toDate } from '../db/values.js';

/** A claimed outbox row: what the drain needs to send it (read raw: no model instances per email). */
export interface OutboxRow {
  id: number;
  ticketId: number | null;
  /**
   * The address. For a row naming a Slack user: null until the drain looked it up, then the
   * address this attempt goes to (recorded with the outcome).
   */
  recipient: string | null;
  /** The Slack user the email is for; null for a bare address. */
  recipientUserId: string | null;
  template: string;
  data: string;
  locale: string | null;
  /** Including the claim that returned this row. */
  attempts: number;
  messageId: string | null;
  idempotencyKey: string;
  createdAt: Date;
  leaseExpiresAt: Date;
}

export interface RawOutboxRow {
  id: number | string;
  ticket_id: number | string | null;
  recipient: string | null;
  recipient_user_id: string | null;
  template: string;
  data: string;
  locale: string | null;
  attempts: number | string;
  message_id: string | null;
  idempotency_key: string;
  created_at: Date | string;
}

const COLUMNS =
  'id, ticket_id, recipient, recipient_user_id, template, data, locale, attempts, message_id, idempotency_key, created_at';
/** Due: pending and its time has come, or still `sending` under a lease that ran out (a crashed drainer). */
const DUE =
  "(status = 'pending' AND available_at <= :now) OR (status = 'sending' AND lease_expires_at <= :now)";

/** MySQL DATETIME keeps whole seconds: round times up so a row is never due "early". */
function toSecond(date: Date): Date {
  return new Date(Math.ceil(date.getTime() / 1000) * 1000);
}

/**
 * The email_outbox table as a queue. A row moves pending → sending (leased to one drainer)
 * → sent | dead | skipped, or back to pending with a later available_at to be retried. Every update
 * after the claim checks the lease is still ours, so a drainer whose lease ran out (and whose
 * rows another drainer took over) cannot overwrite the newer owner's result.
 */
export class OutboxQueue {
  constructor(private readonly db: Database) {}

  /**
   * Leases up to `limit` due rows to `owner`: pending rows whose time has come, and rows still
   * `sending` under a lease that expired (a drainer that crashed). On MySQL/MariaDB the rows are
   * picked with SELECT … FOR UPDATE SKIP LOCKED, so concurrent drainers take disjoint batches
   * without waiting on each other (raw SQL: Sequelize 6 drops skipLocked on mysql). SQLite has a
   * single writer: one atomic UPDATE … RETURNING gives the same "one claimer at a time" guarantee.
   * Claiming counts as an attempt, so a message that crashes its sender still runs out of tries.
   */
  async claim(owner: string, limit: number, leaseMs: number): Promise<OutboxRow[]> {
    const now = new Date();
    const leaseExpiresAt = toSecond(new Date(now.getTime() + leaseMs));
    const rows =
      this.db.dialect === 'mysql'
        ? await this.claimOnMysql(owner, limit, now, leaseExpiresAt)
        : await this.claimOnSqlite(owner, limit, now, leaseExpiresAt);
    return rows.map(
      (row): OutboxRow => ({
        id: Number(row.id),
        ticketId: row.ticket_id === null ? null : Number(row.ticket_id),
        recipient: row.recipient,
        recipientUserId: row.recipient_user_id,
        template: row.template,
        data: row.data,
        locale: row.locale,
        attempts: Number(row.attempts),
        messageId: row.message_id,
        idempotencyKey: row.idempotency_key,
        createdAt: toDate(row.created_at),
        leaseExpiresAt,
      }),
    );
  }

  /** Dates as each dialect stores them (SQLite compares its date text as text). */
  private dbDate(date: Date): Date | string {
    return this.db.dialect === 'mysql' ? date : sqliteDate(date);
  }

  private claimOnMysql(
    owner: string,
    limit: number,
    now: Date,
    leaseExpiresAt: Date,
  ): Promise<RawOutboxRow[]> {
    return runInTransaction(this.db, async (transaction) => {
      const found = await this.db.sequelize.query<{ id: number | string }>(
        `SELECT id FROM email_outbox
          WHERE ${DUE}
          ORDER BY available_at, id
          LIMIT :limit
          FOR UPDATE SKIP LOCKED`,
        { replacements: { now, limit }, type: QueryTypes.SELECT, transaction },
      );
      if (found.length === 0) return [];
      return this.leaseIfDue(
        owner,
        found.map((row) => Number(row.id)),
        now,
        leaseExpiresAt,
        transaction,
      );
    });
  }

  /**
   * Leases those of `ids` that are still due, and returns only the rows this UPDATE leased. The
   * UPDATE checks again that each row is due rather than trusting the SELECT that found it: on
   * Galera, SELECT … FOR UPDATE locks rows on one node only and there are no gap locks across
   * nodes, so a row another node's drainer claimed meanwhile may still be among `ids`
   * (https://mariadb.com/kb/en/mariadb-galera-cluster-known-limitations/). What the UPDATE did not
   * change is read back as not ours: the rows are read by this claim's own lease, not by `ids`.
   */
  async leaseIfDue(
    owner: string,
    ids: number[],
    now: Date,
    leaseExpiresAt: Date,
    transaction?: Transaction,
  ): Promise<RawOutboxRow[]> {
    if (ids.length === 0) return [];
    await this.db.sequelize.query(
      `UPDATE email_outbox
          SET status = 'sending', lease_owner = :owner, lease_expires_at = :leaseExpiresAt,
              attempts = attempts + 1, updated_at = :now
        WHERE id IN (:ids) AND (${DUE})`,
      {
        replacements: { owner, leaseExpiresAt: this.dbDate(leaseExpiresAt), now: this.dbDate(now), ids },
        transaction,
      },
    );
    return this.db.sequelize.query<RawOutboxRow>(
      `SELECT ${COLUMNS} FROM email_outbox
        WHERE id IN (:ids) AND status = 'sending' AND lease_owner = :owner AND lease_expires_at = :leaseExpiresAt
        ORDER BY available_at, id`,
      {
        replacements: { owner, leaseExpiresAt: this.dbDate(leaseExpiresAt), ids },
        type: QueryTypes.SELECT,
        transaction,
      },
    );
  }

  /**
   * One UPDATE … RETURNING picks and leases the rows: a single statement is atomic in SQLite.
   * It takes its turn with the ticket transactions (see `write`).
   */
  private claimOnSqlite(
    owner: string,
    limit: number,
    now: Date,
    leaseExpiresAt: Date,
  ): Promise<RawOutboxRow[]> {
    return this.write(() =>
      this.db.sequelize.query<RawOutboxRow>(
        `UPDATE email_outbox
          SET status = 'sending', lease_owner = :owner, lease_expires_at = :leaseExpiresAt,
              attempts = attempts + 1, updated_at = :now
        WHERE id IN (SELECT id FROM email_outbox WHERE ${DUE} ORDER BY available_at, id LIMIT :limit)
        RETURNING ${COLUMNS}`,
        {
          replacements: { owner, leaseExpiresAt: sqliteDate(leaseExpiresAt), now: sqliteDate(now), limit },
          type: QueryTypes.SELECT,
        },
      ),
    );
  }

  /**
   * SQLite: every write outside a transaction waits for the process's write transactions
   * (db.writeQueue), as src/db/sql.ts's writers do. Sent straight to the shared connection, a
   * drain woken by one commit, arriving while the next change held the write lock, stalled that
   * change for the whole 15 s busy timeout and then failed with SQLITE_BUSY.
   */
  private write<T>(statement: () => Promise<T>): Promise<T> {
    return writeAlone(this.db, statement);
  }

  /**
   * Records many accepted messages in one statement; returns how many were still leased to
   * `owner` (any others were taken over after their lease ran out, and are the new owner's).
   */
  async markManySent(
    rows: Array<Pick<OutboxRow, 'id' | 'recipient' | 'recipientUserId'>>,
    owner: string,
    sentAt = new Date(),
  ): Promise<number> {
    if (rows.length === 0) return 0;
    // The addresses looked up for Slack users go into the same statement: one CASE, no extra write.
    const resolved = rows.filter((row) => row.recipientUserId !== null && row.recipient !== null);
    const addresses = Object.fromEntries(
      resolved.flatMap((row, i) => [
        [`id${i}`, row.id],
        [`to${i}`, row.recipient],
      ]),
    );
    const setRecipient =
      resolved.length === 0
        ? ''
        : `, recipient = CASE id ${resolved.map((_, i) => `WHEN :id${i} THEN :to${i}`).join(' ')} ELSE recipient END`;
    // Raw SQL: this runs once per group of accepted emails, on the drain's hot path.
    const updated = await this.write(() =>
      this.db.sequelize.query(
        `UPDATE email_outbox
          SET status = 'sent', sent_at = :sentAt, updated_at = :sentAt, last_error = NULL, last_smtp_code = NULL,
              lease_owner = NULL, lease_expires_at = NULL${setRecipient}
        WHERE id IN (:ids) AND status = 'sending' AND lease_owner = :owner`,
        {
          replacements: {
            sentAt: this.dbDate(sentAt),
            ids: rows.map((row) => row.id),
            owner,
            ...addresses,
          },
          type: QueryTypes.BULKUPDATE,
        },
      ),
    );
    return Number(updated);
  }

  /** A temporary failure: try again at `availableAt`. */
  async markRetry(
    row: Pick<OutboxRow, 'id' | 'recipient' | 'recipientUserId'>,
    owner: string,
    availableAt: Date,
    error: string,
    smtpCode: number | null,
  ) {
    return this.finish(row, owner, {
      status: 'pending',
      availableAt: toSecond(availableAt),
      lastError: error.slice(0, 1000),
      lastSmtpCode: smtpCode,
    });
  }

  /** A permanent failure, or out of attempts: kept with the reason, never retried. */
  async markDead(
    row: Pick<OutboxRow, 'id' | 'recipient' | 'recipientUserId'>,
    owner: string,
    error: string,
    smtpCode: number | null,
  ) {
    return this.finish(row, owner, {
      status: 'dead',
      lastError: error.slice(0, 1000),
      lastSmtpCode: smtpCode,
    });
  }

  /**
   * Slack has no address for the person: final like dead (kept with the reason for the status
   * page, purged by retention, never retried by the drain).
   */
  async markSkipped(
    row: Pick<OutboxRow, 'id' | 'recipient' | 'recipientUserId'>,
    owner: string,
    reason: string,
  ) {
    return this.finish(row, owner, {
      status: 'skipped',
      lastError: reason.slice(0, 1000),
      lastSmtpCode: null,
    });
  }

  /**
   * The heartbeat of a drain: every row still `sending` under `owner`'s lease, and whose lease has
   * not run out, is leased until `until` (rounded up to the second, as claims are). A row whose
   * lease ran out is left alone: another drainer may have it. Returns the lease's new end.
   */
  async renew(owner: string, until: Date): Promise<Date> {
    const now = new Date();
    const leaseExpiresAt = toSecond(until);
    await this.write(() =>
      this.db.sequelize.query(
        `UPDATE email_outbox SET lease_expires_at = :leaseExpiresAt
          WHERE status = 'sending' AND lease_owner = :owner AND lease_expires_at > :now AND lease_expires_at < :leaseExpiresAt`,
        {
          replacements: { owner, leaseExpiresAt: this.dbDate(leaseExpiresAt), now: this.dbDate(now) },
          type: QueryTypes.BULKUPDATE,
        },
      ),
    );
    return leaseExpiresAt;
  }

  /** Gives claimed-but-unsent rows back (shutdown): due at once, and the claim not counted. */
  async release(rows: Array<Pick<OutboxRow, 'id'>>, owner: string): Promise<void> {
    if (rows.length === 0) return;
    await this.write(() =>
      this.db.models.EmailOutbox.update(
        {
          status: 'pending',
          leaseOwner: null,
          leaseExpiresAt: null,
          attempts: this.db.sequelize.literal(
            'CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END',
          ) as unknown as number,
        },
        { where: { id: rows.map((row) => row.id), status: 'sending', leaseOwner: owner } },
      ),
    );
  }

  /**
   * The SMTP server could not be reached: the rows wait for it, pending with their claim not
   * counted and their place in the queue (available_at) kept, so they go out oldest first once
   * it answers. The reason is kept for the status page.
   */
  async waitForServer(rows: Array<Pick<OutboxRow, 'id'>>, owner: string, reason: string): Promise<void> {
    if (rows.length === 0) return;
    await this.write(() =>
      this.db.models.EmailOutbox.update(
        {
          status: 'pending',
          leaseOwner: null,
          leaseExpiresAt: null,
          lastError: reason.slice(0, 1000),
          lastSmtpCode: null,
          attempts: this.db.sequelize.literal(
            'CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END',
          ) as unknown as number,
        },
        { where: { id: rows.map((row) => row.id), status: 'sending', leaseOwner: owner } },
      ),
    );
  }

  /**
   * Deletes sent, dead and skipped rows last touched before `before` (EMAIL_RETENTION_DAYS), in
   * batches of `batchSize` rows per statement (src/db/deleteInBatches.ts says why).
   */
  async purge(before: Date, batchSize = DELETE_BATCH_ROWS): Promise<number> {
    return deleteInBatches(
      this.db,
      this.db.models.EmailOutbox,
      { status: [...FINAL_OUTBOX_STATUSES], updatedAt: { [Op.lt]: before } },
      batchSize,
    );
  }

  private async finish(
    row: Pick<OutboxRow, 'id' | 'recipient' | 'recipientUserId'>,
    owner: string,
    values: Partial<Pick<EmailOutbox, 'status' | 'sentAt' | 'availableAt' | 'lastError' | 'lastSmtpCode'>>,
  ): Promise<boolean> {
    // The address this attempt went to, for a Slack user looked up by the drain.
    const recipient =
      row.recipientUserId !== null && row.recipient !== null ? { recipient: row.recipient } : {};
    const [updated] = await this.write(() =>
      this.db.models.EmailOutbox.update(
        { ...values, ...recipient, leaseOwner: null, leaseExpiresAt: null },
        { where: { id: row.id, status: 'sending', leaseOwner: owner } },
      ),
    );
    return updated === 1;
  }
}
