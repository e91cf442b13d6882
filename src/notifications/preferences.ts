import { type Transaction, UniqueConstraintError } from 'sequelize';
import type { Database } from '../db/index.js';
import { runInTransaction } from '../db/transaction.js';
import { NOTIFICATIONS, type Notification } from './types.js';

/** Every kind of email a person may turn off: the notification templates, the digest among them. */
export const EMAIL_KINDS: readonly Notification[] = NOTIFICATIONS;
/** The kinds everyone is offered; managers are also offered the digest. */
export const PERSONAL_KINDS: readonly Notification[] = NOTIFICATIONS.filter((kind) => kind !== 'digest');

export function isEmailKind(value: string): value is Notification {
  return (EMAIL_KINDS as readonly string[]).includes(value);
}

/** The kinds each of these Slack users turned off (no row, or enabled, means on). */
export async function disabledKinds(
  db: Database,
  userIds: string[],
  transaction?: Transaction,
): Promise<Map<string, Set<string>>> {
  const off = new Map<string, Set<string>>();
  const unique = [...new Set(userIds)];
  if (unique.length === 0) return off;
  const rows = await db.models.EmailPreference.findAll({
    where: { userId: unique, enabled: false },
    transaction,
  });
  for (const row of rows) {
    const kinds = off.get(row.userId) ?? new Set<string>();
    kinds.add(row.kind);
    off.set(row.userId, kinds);
  }
  return off;
}

/**
 * Records a person's choice among `offered` kinds: those in `enabled` are on, the others off.
 * Kinds not offered (the digest for someone who is not a manager) are left as they were.
 */
export async function savePreferences(
  db: Database,
  userId: string,
  offered: readonly string[],
  enabled: ReadonlySet<string>,
): Promise<void> {
  try {
    await writePreferences(db, userId, offered, enabled);
  } catch (error) {
    // Two clicks at once (two replicas) may both insert the same (user, kind) row: the loser
    // writes its set again over the row the other one made.
    if (!(error instanceof UniqueConstraintError)) throw error;
    await writePreferences(db, userId, offered, enabled);
  }
}

async function writePreferences(
  db: Database,
  userId: string,
  offered: readonly string[],
  enabled: ReadonlySet<string>,
): Promise<void> {
  await runInTransaction(db, async (transaction) => {
    const { EmailPreference } = db.models;
    const existing = await EmailPreference.findAll({ where: { userId }, transaction });
    for (const kind of offered) {
      if (!isEmailKind(kind)) continue;
      const on = enabled.has(kind);
      const row = existing.find((candidate) => candidate.kind === kind);
      if (row) {
        if (row.enabled !== on) await row.update({ enabled: on }, { transaction });
      } else if (!on) {
        await EmailPreference.create({ userId, kind, enabled: false }, { transaction });
      }
    }
  });
}

/**
 * The entries whose recipient still wants that kind of email. A Slack user is known by id; a bare
 * address (a manager) by the Slack user with that email, when there is one. Others are kept.
 */
export async function wantedEntries<
  E extends { to: { userId: string } | { email: string }; template: string },
>(db: Database, entries: E[], transaction?: Transaction): Promise<E[]> {
  if (entries.length === 0) return entries;
  const emails = entries.flatMap((entry) => ('email' in entry.to ? [entry.to.email] : []));
  const byEmail = new Map<string, string>();
  if (emails.length > 0) {
    const users = await db.models.User.findAll({
      where: { email: emails },
      attributes: ['id', 'email'],
      transaction,
    });
    for (const user of users) if (user.email) byEmail.set(user.email.toLowerCase(), user.id);
  }
  const userOf = (entry: E) =>
    'userId' in entry.to ? entry.to.userId : byEmail.get(entry.to.email.toLowerCase());
  const ids = entries.flatMap((entry) => {
    const id = userOf(entry);
    return id ? [id] : [];
  });
  const off = await disabledKinds(db, ids, transaction);
  if (off.size === 0) return entries;
  return entries.filter((entry) => {
    const id = userOf(entry);
    return !(id && off.get(id)?.has(entry.template));
  });
}
