import { Op } from 'sequelize';
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

/** The requester filter accepts a Slack id or a name; returns the matching ids (none: no match). */
export async function findPeopleByName(db: Database, text: string): Promise<string[]> {
  if (/^[UW][A-Z0-9]{2,}$/.test(text)) return [text];
  const users = await db.models.User.findAll({
    attributes: ['id'],
    where: { [Op.or]: [{ name: text }, { realName: text }] },
    limit: 20,
  });
  return users.map((user) => user.id);
}
