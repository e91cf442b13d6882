import { Op, QueryTypes } from 'sequelize';
import type { Database } from '../db/index.js';
import type { EmailOutbox } from '../db/models/emailOutbox.js';
import { runInTransaction } from '../tickets/index.js';

/** MySQL DATETIME keeps whole seconds: round times up so a row is never due "early". */
function toSecond(date: Date): Date {
  return new Date(Math.ceil(date.getTime() / 1000) * 1000);
}

/**
 * The email_outbox table as a queue. A row moves pending → sending (leased to one drainer)
 * → sent | dead, or back to pending with a later available_at to be retried. Every update
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
   * single writer: the IMMEDIATE transaction gives the same "one claimer at a time" guarantee.
   * Claiming counts as an attempt, so a message that crashes its sender still runs out of tries.
   */
  async claim(owner: string, limit: number, leaseMs: number): Promise<EmailOutbox[]> {
    const { EmailOutbox } = this.db.models;
    const now = new Date();
    return runInTransaction(this.db, async (transaction) => {
      let ids: number[];
      if (this.db.dialect === 'mysql') {
        const rows = await this.db.sequelize.query<{ id: number }>(
          `SELECT id FROM email_outbox
            WHERE (status = 'pending' AND available_at <= :now)
               OR (status = 'sending' AND lease_expires_at <= :now)
            ORDER BY available_at, id
            LIMIT :limit
            FOR UPDATE SKIP LOCKED`,
          { replacements: { now, limit }, type: QueryTypes.SELECT, transaction },
        );
        ids = rows.map((row) => Number(row.id));
      } else {
        const rows = await EmailOutbox.findAll({
          attributes: ['id'],
          where: {
            [Op.or]: [
              { status: 'pending', availableAt: { [Op.lte]: now } },
              { status: 'sending', leaseExpiresAt: { [Op.lte]: now } },
            ],
          },
          order: [
            ['availableAt', 'ASC'],
            ['id', 'ASC'],
          ],
          limit,
          transaction,
        });
        ids = rows.map((row) => row.id);
      }
      if (ids.length === 0) return [];
      await EmailOutbox.update(
        {
          status: 'sending',
          leaseOwner: owner,
          leaseExpiresAt: toSecond(new Date(now.getTime() + leaseMs)),
          attempts: this.db.sequelize.literal('attempts + 1') as unknown as number,
        },
        { where: { id: ids }, transaction },
      );
      return EmailOutbox.findAll({ where: { id: ids }, order: [['id', 'ASC']], transaction });
    });
  }

  /** The SMTP server accepted the message. */
  async markSent(row: EmailOutbox, owner: string, sentAt = new Date()): Promise<boolean> {
    return this.finish(row, owner, { status: 'sent', sentAt, lastError: null, lastSmtpCode: null });
  }

  /** A temporary failure: try again at `availableAt`. */
  async markRetry(row: EmailOutbox, owner: string, availableAt: Date, error: string, smtpCode: number | null) {
    return this.finish(row, owner, {
      status: 'pending',
      availableAt: toSecond(availableAt),
      lastError: error.slice(0, 1000),
      lastSmtpCode: smtpCode,
    });
  }

  /** A permanent failure, or out of attempts: kept with the reason, never retried. */
  async markDead(row: EmailOutbox, owner: string, error: string, smtpCode: number | null) {
    return this.finish(row, owner, { status: 'dead', lastError: error.slice(0, 1000), lastSmtpCode: smtpCode });
  }

  /** Gives claimed-but-unsent rows back (shutdown): due at once, and the claim not counted. */
  async release(rows: EmailOutbox[], owner: string): Promise<void> {
    if (rows.length === 0) return;
    await this.db.models.EmailOutbox.update(
      {
        status: 'pending',
        leaseOwner: null,
        leaseExpiresAt: null,
        attempts: this.db.sequelize.literal('CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END') as unknown as number,
      },
      { where: { id: rows.map((row) => row.id), status: 'sending', leaseOwner: owner } },
    );
  }

  /** Deletes sent and dead rows last touched before `before` (EMAIL_RETENTION_DAYS). */
  async purge(before: Date): Promise<number> {
    return this.db.models.EmailOutbox.destroy({
      where: { status: ['sent', 'dead'], updatedAt: { [Op.lt]: before } },
    });
  }

  private async finish(
    row: EmailOutbox,
    owner: string,
    values: Partial<Pick<EmailOutbox, 'status' | 'sentAt' | 'availableAt' | 'lastError' | 'lastSmtpCode'>>,
  ): Promise<boolean> {
    const [updated] = await this.db.models.EmailOutbox.update(
      { ...values, leaseOwner: null, leaseExpiresAt: null },
      { where: { id: row.id, status: 'sending', leaseOwner: owner } },
    );
    return updated === 1;
  }
}
