import type { Transaction } from 'sequelize';
import type { Database } from '../db/index.js';
import { insertRow } from '../db/sql.js';
import type { Logger } from '../logger.js';
import type { TicketChange } from '../tickets/index.js';
import { runInTransaction } from '../tickets/transaction.js';
import { messageIdFor } from './messageId.js';
import { type Draft, draftsFor, People } from './recipients.js';
import type { NotificationData } from './types.js';

export interface EnqueueDeps {
  db: Database;
  logger: Logger;
  mailDomain: string;
  /** Addresses told about every new ticket (empty when the company does not want it). */
  newTicketRecipients: string[];
}

/** A row for email_outbox, built from a draft whose recipient is known. */
export interface OutboxEntry {
  ticketId: number | null;
  recipient: string;
  template: string;
  locale: string | null;
  data: NotificationData;
  idempotencyKey: string;
}

/**
 * Writes the outbox rows for a ticket change inside the change's own transaction. Recipients
 * without an email address in Slack are skipped and logged: a missing address never blocks
 * the change itself. Returns how many emails were queued.
 */
export async function enqueueForChange(
  deps: EnqueueDeps,
  change: TicketChange,
  transaction: Transaction,
): Promise<number> {
  const options = { managerEmails: deps.newTicketRecipients };
  // Who is told depends on the change, not on the people's profiles: when nobody would be (a new
  // ticket with no technician and no managers to tell, say), nobody needs to be read.
  if (draftsFor(change, People.none(), options).length === 0) return 0;
  const people = await People.load(deps.db, change, transaction);
  const drafts = draftsFor(change, people, options);
  if (drafts.length === 0) return 0;
  const managers = await profilesByEmail(deps.db, drafts, transaction);
  const entries: OutboxEntry[] = [];
  for (const draft of drafts) {
    let recipient: { email: string; name: string | null; locale: string | null; tz: string | null };
    if ('userId' in draft.to) {
      const user = people.get(draft.to.userId);
      if (!user?.email) {
        deps.logger.info(
          { ticketId: change.ticket.id, slackUser: draft.to.userId, template: draft.template },
          'no email address in Slack for this person: email skipped',
        );
        continue;
      }
      recipient = { email: user.email, name: user.name || user.realName, locale: user.locale, tz: user.tz };
    } else {
      const known = managers.get(draft.to.email.toLowerCase());
      recipient = {
        email: draft.to.email,
        name: known?.name ?? null,
        locale: known?.locale ?? null,
        tz: known?.tz ?? null,
      };
    }
    entries.push({
      ticketId: change.ticket.id,
      recipient: recipient.email,
      template: draft.template,
      locale: recipient.locale,
      data: { ...draft.data, recipient: { name: recipient.name }, timeZone: recipient.tz },
      idempotencyKey: `event:${change.event.id}:${draft.template}:${recipient.email.toLowerCase()}`,
    });
  }
  await writeOutbox(deps.db, entries, deps.mailDomain, transaction);
  return entries.length;
}

/**
 * Inserts outbox rows in the change's transaction; due now (to the second, as MySQL's DATETIME
 * stores it). Through the driver (src/db/sql.ts): most ticket changes queue an email or two.
 */
export async function writeOutbox(
  db: Database,
  entries: OutboxEntry[],
  domain: string,
  transaction?: Transaction,
): Promise<void> {
  if (!transaction) return runInTransaction(db, (own) => writeOutbox(db, entries, domain, own));
  const unique = [...new Map(entries.map((entry) => [entry.idempotencyKey, entry])).values()];
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  for (const entry of unique) {
    await insertRow(db, transaction, db.models.EmailOutbox, {
      ticketId: entry.ticketId,
      recipient: entry.recipient,
      template: entry.template,
      data: JSON.stringify(entry.data),
      locale: entry.locale,
      status: 'pending',
      attempts: 0,
      availableAt: now,
      leaseOwner: null,
      leaseExpiresAt: null,
      lastError: null,
      lastSmtpCode: null,
      messageId: messageIdFor(entry.idempotencyKey, domain),
      idempotencyKey: entry.idempotencyKey,
      sentAt: null,
      createdAt: now,
      updatedAt: now,
    });
  }
}

/** Managers are addresses, not Slack users; when one is also a Slack user, use their language. */
async function profilesByEmail(db: Database, drafts: Draft[], transaction: Transaction) {
  const emails = drafts.flatMap((draft) => ('email' in draft.to ? [draft.to.email] : []));
  const found = new Map<string, { name: string | null; locale: string | null; tz: string | null }>();
  if (emails.length === 0) return found;
  const users = await db.models.User.findAll({ where: { email: emails }, transaction });
  for (const user of users) {
    if (user.email)
      found.set(user.email.toLowerCase(), {
        name: user.name || user.realName,
        locale: user.locale,
        tz: user.tz,
      });
  }
  return found;
}
