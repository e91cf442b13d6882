import type { WebClient } from '@slack/web-api';
import { slackErrorOf } from './slackErrors.js';

/**
 * Whether a channel is fit for a private request type's cards: `private` (Slack says
 * `is_private: true`), `public`, `not_found` (no such channel, or a private one the bot is not
 * in: Slack answers `channel_not_found` for both), or `unreadable` (the app lacks the scope to
 * ask: an install from before `channels:read` / `groups:read` were added).
 *
 * conversations.info answers `{ok, channel}` with the conversation object, whose `is_private`
 * says whether it is a private channel (https://docs.slack.dev/reference/methods/conversations.info,
 * https://docs.slack.dev/reference/objects/conversation-object); the boolean, not the id's first
 * letter, is what to go by (https://api.slack.com/changelog/2018-09-more-reasons-to-be-a-conversations-api-convert).
 * It takes `channels:read` for a public channel, `groups:read` for a private one. Any other
 * failure (Slack unreachable, `internal_error`) is thrown: nothing is known yet.
 */
export type ChannelPrivacy = 'private' | 'public' | 'not_found' | 'unreadable';

export async function channelPrivacy(client: WebClient, channel: string): Promise<ChannelPrivacy> {
  try {
    const answer = await client.conversations.info({ channel });
    return answer.channel?.is_private === true ? 'private' : 'public';
  } catch (error) {
    const code = slackErrorOf(error);
    if (code === 'channel_not_found') return 'not_found';
    if (code === 'missing_scope') return 'unreadable';
    throw error;
  }
}
