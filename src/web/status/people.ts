import { Op, QueryTypes } from 'sequelize';
import type { Database } from '../../db/index.js';
import { displayName } from '../../db/models/user.js';

export interface Person {
  id: string;
  name: string;
}

/** Display names for the Slack ids a page shows; an id never seen in `users` shows as itself. */
export async function loadPeople(
  db: Database,
  ids: Iterable<string | null | undefined>,
): Promise<Map<string, Person>> {
  const unique = [...new Set([...ids].filter((id): id is string => Boolean(id)))];
  const people = new Map<string, Person>(unique.map((id) => [id, { id, name: id }]));
  if (unique.length === 0) return people;
  const users = await db.models.User.findAll({
    attributes: ['id', 'name', 'realName'],
    where: { id: { [Op.in]: unique } },
  });
  for (const user of users) people.set(user.id, { id: user.id, name: displayName(user) });
  return people;
}

/**
 * The requester filter accepts a Slack id or a name, or the start of any word of one ("alice",
 * "Martin"), case-insensitively; returns the matching ids (none: no match).
 */
export async function findPeopleByName(db: Database, text: string): Promise<string[]> {
  if (/^[UW][A-Z0-9]{2,}$/.test(text)) return [text];
  const escaped = text.trim().replace(/[!%_]/g, (c) => `!${c}`);
  if (escaped === '') return [];
  const matches = (column: string) => `${column} LIKE :start ESCAPE '!' OR ${column} LIKE :inside ESCAPE '!'`;
  const users = await db.sequelize.query<{ id: string }>(
    `SELECT id FROM users WHERE ${matches('name')} OR ${matches('real_name')} ORDER BY id LIMIT 20`,
    { replacements: { start: `${escaped}%`, inside: `% ${escaped}%` }, type: QueryTypes.SELECT },
  );
  return users.map((user) => user.id);
}
