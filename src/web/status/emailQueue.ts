import { type Database, writeAlone } from '../../db/index.js';
import { OUTBOX_STATUSES, type OutboxStatus } from '../../db/models/emailOutbox.js';
import { toDate, toDateOrNull } from '../../db/values.js';
import { loadPeople, type Person } from './people.js';
import { select } from './rows.js';

// The email queue as admins see it: how many in each state, the latest of each, and a way to
// give a dead or skipped email another chance.

export const EMAILS_PER_STATUS = 50;
export const SENT_WINDOW_DAYS = 7;

export interface QueuedEmail {
  id: number;
  ticketId: number | null;
  /** The address; null for a Slack user whose address is looked up when the email is sent. */
  recipient: string | null;
  /** The Slack user the email is for (null for a bare address such as a manager's). */
  person: Person | null;
  template: string;
  attempts: number;
  lastError: string | null;
  lastSmtpCode: number | null;
  /** When it was (or will be) sent. */
  at: Date;
}

export interface EmailQueue {
  counts: Record<OutboxStatus, number>;
  byStatus: Record<OutboxStatus, QueuedEmail[]>;
}

interface RawEmail {
  id: number;
  ticket_id: number | null;
  recipient: string | null;
  recipient_user_id: string | null;
  template: string;
  attempts: number;
  last_error: string | null;
  last_smtp_code: number | null;
  available_at: unknown;
  sent_at: unknown;
}

export async function loadEmailQueue(db: Database, now = new Date()): Promise<EmailQueue> {
  const since = new Date(now.getTime() - SENT_WINDOW_DAYS * 86_400_000);
  const counts = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
  // Ranges on (status, available_at): the queue itself exactly, the sent mail of the last week
  // (all of it would mean reading most of the outbox on every view).
  const rows = await select<{ status: OutboxStatus; n: number }>(
    db,
    `SELECT status, COUNT(*) AS n FROM email_outbox WHERE status IN ('pending', 'sending', 'dead', 'skipped') GROUP BY status
     UNION ALL
     SELECT status, COUNT(*) AS n FROM email_outbox WHERE status = 'sent' AND available_at >= :since GROUP BY status`,
    { since },
  );
  for (const row of rows) if (row.status in counts) counts[row.status] = Number(row.n);
  const lists = await Promise.all(
    OUTBOX_STATUSES.map((status) =>
      // (status, available_at) is indexed: the latest of one status without sorting them all.
      // Sent mail is shown over the same week it is counted for.
      select<RawEmail>(
        db,
        `SELECT id, ticket_id, recipient, recipient_user_id, template, attempts, last_error, last_smtp_code, available_at, sent_at
         FROM email_outbox WHERE status = :status ${status === 'sent' ? 'AND available_at >= :since' : ''}
         ORDER BY available_at DESC, id DESC LIMIT ${EMAILS_PER_STATUS}`,
        { status, since },
      ),
    ),
  );
  const people = await loadPeople(
    db,
    lists.flatMap((list) => list.map((row) => row.recipient_user_id)),
  );
  const byStatus = Object.fromEntries(
    OUTBOX_STATUSES.map((status, i) => [
      status,
      (lists[i] ?? []).map((row) => ({
        id: Number(row.id),
        ticketId: row.ticket_id === null ? null : Number(row.ticket_id),
        recipient: row.recipient,
        person: row.recipient_user_id ? (people.get(row.recipient_user_id) ?? null) : null,
        template: row.template,
        attempts: Number(row.attempts),
        lastError: row.last_error,
        lastSmtpCode: row.last_smtp_code === null ? null : Number(row.last_smtp_code),
        at: toDateOrNull(row.sent_at) ?? toDate(row.available_at),
      })),
    ]),
  ) as Record<OutboxStatus, QueuedEmail[]>;
  return { counts, byStatus };
}

/** Who an email is for, in a sentence: its address, else the person's name. */
export function recipientLabel(email: Pick<QueuedEmail, 'recipient' | 'person'>): string {
  return email.recipient ?? email.person?.name ?? '';
}

/** The label of one email (the status page's notice after a retry). */
export async function emailRecipient(db: Database, id: number): Promise<string | undefined> {
  const email = await db.models.EmailOutbox.findByPk(id, { attributes: ['recipient', 'recipientUserId'] });
  if (!email) return undefined;
  const people = await loadPeople(db, [email.recipientUserId]);
  return recipientLabel({
    recipient: email.recipient,
    person: email.recipientUserId ? (people.get(email.recipientUserId) ?? null) : null,
  });
}

/**
 * Puts a dead or skipped email back in the queue, due now, with its attempts reset. Only those:
 * the condition in the UPDATE makes a double click (or a drain that already picked it) harmless.
 * The last error stays until the next attempt replaces it. A skipped email's person gets their
 * profile asked of Slack again (someone may have given them an address since).
 */
export async function retryEmail(db: Database, id: number): Promise<{ recipient: string } | undefined> {
  const now = new Date();
  const email = await db.models.EmailOutbox.findByPk(id, { attributes: ['status', 'recipientUserId'] });
  const [changed] = await writeAlone(db, () =>
    db.models.EmailOutbox.update(
      { status: 'pending', attempts: 0, availableAt: now, leaseOwner: null, leaseExpiresAt: null },
      { where: { id, status: ['dead', 'skipped'] } },
    ),
  );
  if (changed === 0) return undefined;
  if (email?.status === 'skipped' && email.recipientUserId) {
    await writeAlone(db, () =>
      db.models.User.update({ profileRefreshedAt: null }, { where: { id: email.recipientUserId! } }),
    );
  }
  return { recipient: (await emailRecipient(db, id)) ?? '' };
}
