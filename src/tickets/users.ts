import type { Transaction } from 'sequelize';
import type { Database } from '../db/index.js';
import type { User } from '../db/models/user.js';
import { fromRow, sqlRead } from '../db/sql.js';

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
  const read = async () =>
    (
      await sqlRead<Record<string, unknown>>(db, transaction, 'SELECT * FROM users WHERE id = ?', [actorId])
    )[0];
  // Almost every actor is known already: read first, insert only for a newcomer.
  let row = await read();
  if (!row) {
    await ensureUsers(db, [actorId], transaction);
    row = await read();
  }
  if (!row) throw new Error(`User ${actorId} vanished while being loaded`);
  return fromRow(db.models.User, row);
}

/** Makes sure the acting user has a row (tickets refer to it) without loading it: one cheap read. */
export async function ensureActorRow(db: Database, actorId: string, transaction: Transaction): Promise<void> {
  const known = await sqlRead(db, transaction, 'SELECT id FROM users WHERE id = ?', [actorId]);
  if (known.length === 0) await ensureUsers(db, [actorId], transaction);
}

export function isStaff(user: User): boolean {
  return user.isTechnician || user.isAdmin;
}
