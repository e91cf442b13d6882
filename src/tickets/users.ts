import type { Transaction } from 'sequelize';
import type { Database } from '../db/index.js';
import type { User } from '../db/models/user.js';
import { hasUserRow, readUser } from './statements.js';

/**
 * Makes sure every id has a `users` row (profile fields come later from users.info).
 * INSERT IGNORE / INSERT OR IGNORE: safe when two requests meet a new user at once.
 */
export async function ensureUsers(
  db: Database,
  ids: Array<string | null | undefined>,
  transaction?: Transaction,
) {
  const unique = [...new Set(ids.filter((id): id is string => Boolean(id)))];
  if (unique.length === 0) return;
  await db.models.User.bulkCreate(
    unique.map((id) => ({ id })),
    { ignoreDuplicates: true, transaction },
  );
}

/** The acting user's row, inserted first if they are new (statements through the driver). */
export async function loadActor(db: Database, actorId: string, transaction: Transaction): Promise<User> {
  // Almost every actor is known already: read first, insert only for a newcomer.
  let user = await readUser(db, transaction, actorId);
  if (!user) {
    await ensureUsers(db, [actorId], transaction);
    user = await readUser(db, transaction, actorId);
  }
  if (!user) throw new Error(`User ${actorId} vanished while being loaded`);
  return user;
}

/** Makes sure the acting user has a row (tickets refer to it) without loading it: one cheap read. */
export async function ensureActorRow(db: Database, actorId: string, transaction: Transaction): Promise<void> {
  if (!(await hasUserRow(db, transaction, actorId))) await ensureUsers(db, [actorId], transaction);
}

export function isStaff(user: User): boolean {
  return user.isTechnician || user.isAdmin;
}
