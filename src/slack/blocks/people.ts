import { displayName, type User } from '../../db/models/user.js';
import { escapeMrkdwn } from '../text.js';

/** A person in mrkdwn: their cached name (escaped), else a mention Slack renders as the name. */
export function person(
  user: Pick<User, 'id' | 'name' | 'realName'> | null | undefined,
  id?: string | null,
): string {
  if (user && (user.name || user.realName)) return escapeMrkdwn(displayName(user));
  const userId = user?.id ?? id;
  return userId ? `<@${userId}>` : '?';
}
