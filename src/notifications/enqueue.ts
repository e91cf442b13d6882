import type { Transaction } from 'sequelize';
import type { Database } from '../db/index.js';
import { insertRow } from '../db/sql.js';
import { runInTransaction } from '../db/transaction.js';
import type { TicketChange } from '../tickets/index.js';
import { messageIdFor } from './messageId.js';
import { wantedEntries } from './preferences.js';
import { type Draft, draftsFor, People, typeOfTicket } from './recipients.js';
import type { NotificationData } from './types.js';

export interface EnqueueDeps {
  db: Database;
  mailDomain: string;
  /** Addresses told about every new ticket (empty when the company does not want it). */
  newTicketRecipients: string[];
  /** Addresses told when a ticket misses a service-level target (MANAGER_EMAILS). */
  slaBreachRecipients?: string[];
}

/** A row for email_outbox: to a Slack user (address looked up when sent) or to a bare address. */
export interface OutboxEntry {
  ticketId: number | null;
  to: { userId: string } | { email: string };
  template: string;
  /** For a Slack user, their profile at send time decides (see drain.ts); this is the fallback. */
  locale: string | null;
  data: NotificationData;
  idempotencyKey: string;
}

/**
 * Writes the outbox rows for a ticket change inside the change's own transaction. An email to a
 * Slack user names the person: their address, language and time zone are looked up when it is
 * sent, so someone ticketbot has not looked up yet (a technician seeded at start-up, say) is
 * emailed all the same. Returns how many emails were queued.
 */
export async function enqueueForChange(
  deps: EnqueueDeps,
  change: TicketChange,
  transaction: Transaction,
): Promise<number> {
  const options = {
    managerEmails: deps.newTicketRecipients,
    slaBreachRecipients: deps.slaBreachRecipients ?? [],
  };
  // Who is told depends on the change, not on the people's profiles: when nobody would be (a new
  // ticket with no technician and no managers to tell, say), nobody needs to be read.
  if (draftsFor(change, People.none(), options).length === 0) return 0;
  const people = await People.load(deps.db, change, transaction);
  const requestType = await typeOfTicket(deps.db, change, transaction);
  const drafts = draftsFor(change, people, {
    ...options,
    requestType,
    privateTicket: Boolean(requestType?.isPrivate),
  });
  if (drafts.length === 0) return 0;
  const managers = await profilesByEmail(deps.db, drafts, transaction);
  const entries = drafts.map((draft): OutboxEntry => {
    const base = { ticketId: change.ticket.id, template: draft.template };
    if ('userId' in draft.to) {
      return {
        ...base,
        to: { userId: draft.to.userId },
        locale: null,
        data: { ...draft.data, recipient: { name: null }, timeZone: null },
        // The person, not an address: the same change never mails them twice, whatever their address.
        idempotencyKey: `event:${change.event.id}:${draft.template}:user:${draft.to.userId}`,
      };
    }
    const known = managers.get(draft.to.email.toLowerCase());
    return {
      ...base,
      to: { email: draft.to.email },
      locale: known?.locale ?? null,
      data: { ...draft.data, recipient: { name: known?.name ?? null }, timeZone: known?.tz ?? null },
      idempotencyKey: `event:${change.event.id}:${draft.template}:${draft.to.email.toLowerCase()}`,
    };
  });
  // Someone who turned this kind of email off in the App Home is not sent it; the others are.
  const wanted = await wantedEntries(deps.db, entries, transaction);
  await writeOutbox(deps.db, wanted, deps.mailDomain, transaction);
  return wanted.length;
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
      recipient: 'email' in entry.to ? entry.to.email : null,
      recipientUserId: 'userId' in entry.to ? entry.to.userId : null,
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
