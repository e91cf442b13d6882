import { createHash, randomBytes } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { type Database, writeAlone } from '../db/index.js';
import { toDate } from '../db/values.js';
import { select } from './status/rows.js';

// Sessions of people signed in with Slack, in the database (web_sessions) so that every replica
// shares them. The cookie holds 32 random bytes; the table holds their SHA-256 only. Who the
// person is on the roster (technician, admin) is read with the session on every request, so a
// change in the App Home applies at the next page.

export interface SessionPerson {
  userId: string;
  teamId: string;
  name: string;
  isTechnician: boolean;
  isAdmin: boolean;
  /** The session's key in the table: what the CSRF token is tied to. */
  key: string;
}

export interface SessionLimits {
  /** A session unused for this long is over. */
  idleMs: number;
  /** A session is over this long after sign-in, used or not. */
  maxMs: number;
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** The key a session id is stored under. */
export function sessionKey(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

interface SessionRow {
  user_id: string;
  team_id: string;
  name: string | null;
  last_seen_at: unknown;
  expires_at: unknown;
  roster_name: string | null;
  real_name: string | null;
  is_technician: unknown;
  is_admin: unknown;
}

export class SessionStore {
  constructor(
    private readonly db: Database,
    private readonly limits: SessionLimits,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A new session (a new id every sign-in: an id known before it never becomes valid). */
  async start(person: { userId: string; teamId: string; name: string | null }): Promise<{
    id: string;
    expiresAt: Date;
  }> {
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + this.limits.maxMs);
    await this.write(
      `INSERT INTO web_sessions (id_hash, user_id, team_id, name, created_at, last_seen_at, expires_at)
       VALUES (:key, :userId, :teamId, :name, :now, :now, :expiresAt)`,
      { key: sessionKey(id), ...person, name: person.name?.slice(0, 255) ?? null, now, expiresAt },
    );
    // Sign-ins are rare: a good moment to forget sessions that ran out.
    await this.write('DELETE FROM web_sessions WHERE expires_at <= :now OR last_seen_at <= :idleSince', {
      now,
      idleSince: new Date(now.getTime() - this.limits.idleMs),
    });
    return { id, expiresAt };
  }

  /** The person behind a session cookie, or undefined when it is unknown, signed out or expired. */
  async find(id: string | undefined): Promise<SessionPerson | undefined> {
    if (!id || !SESSION_ID.test(id)) return undefined;
    const key = sessionKey(id);
    const [row] = await select<SessionRow>(
      this.db,
      `SELECT s.user_id, s.team_id, s.name, s.last_seen_at, s.expires_at,
              u.name AS roster_name, u.real_name, u.is_technician, u.is_admin
         FROM web_sessions s LEFT JOIN users u ON u.id = s.user_id
        WHERE s.id_hash = :key`,
      { key },
    );
    if (!row) return undefined;
    const now = this.now();
    const lastSeen = toDate(row.last_seen_at);
    if (toDate(row.expires_at) <= now || lastSeen.getTime() + this.limits.idleMs <= now.getTime()) {
      await this.write('DELETE FROM web_sessions WHERE id_hash = :key', { key });
      return undefined;
    }
    // Marking every request would be a write per page view; a minute's precision is plenty.
    if (now.getTime() - lastSeen.getTime() > Math.min(60_000, this.limits.idleMs / 10)) {
      await this.write('UPDATE web_sessions SET last_seen_at = :now WHERE id_hash = :key', { key, now });
    }
    return {
      userId: row.user_id,
      teamId: row.team_id,
      name: row.roster_name || row.real_name || row.name || row.user_id,
      isTechnician: truthy(row.is_technician),
      isAdmin: truthy(row.is_admin),
      key,
    };
  }

  /** Signs out: the row is gone, so no replica accepts the cookie any more. */
  async end(id: string | undefined): Promise<void> {
    if (!id || !SESSION_ID.test(id)) return;
    await this.write('DELETE FROM web_sessions WHERE id_hash = :key', { key: sessionKey(id) });
  }

  private async write(sql: string, replacements: Record<string, unknown>): Promise<void> {
    await writeAlone(this.db, () => this.db.sequelize.query(sql, { replacements, type: QueryTypes.RAW }));
  }
}

/** SQLite gives booleans back as 0/1, MySQL as 0/1 or true/false. */
function truthy(value: unknown): boolean {
  return value === true || Number(value) === 1;
}
