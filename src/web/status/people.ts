import { Op, QueryTypes } from 'sequelize';
import type { Database } from '../../db/index.js';
import { displayName } from '../../db/models/user.js';
import { wordStartCondition, wordStartParams } from '../../db/values.js';
import { isSlackUserId } from '../../slackIds.js';

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
  if (text.length >= 3 && isSlackUserId(text)) return [text];
  const name = text.trim();
  if (name === '') return [];
  const users = await db.sequelize.query<{ id: string }>(
    `SELECT id FROM users WHERE ${wordStartCondition('name', 'name')} OR ${wordStartCondition('real_name', 'name')} ORDER BY id LIMIT 20`,
    { replacements: wordStartParams('name', name), type: QueryTypes.SELECT },
  );
  return users.map((user) => user.id);
}
