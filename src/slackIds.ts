// What Slack's identifiers and message links look like, for every part that stores or checks them
// (the ticket rules, config, the status page and the emails), without depending on the Slack layer.

/**
 * A Slack user id: U… for a workspace's own users, W… for an Enterprise organisation's global ones
 * ("global user IDs that begin with the letter W or U",
 * https://docs.slack.dev/reference/methods/migration.exchange/), then capital letters and digits.
 */
const USER_ID = '[UW][A-Z0-9]+';
export const SLACK_USER_ID = new RegExp(`^${USER_ID}$`);

export function isSlackUserId(value: unknown): value is string {
  return typeof value === 'string' && SLACK_USER_ID.test(value);
}

/** `<@U0123ABCD>` in mrkdwn text (https://docs.slack.dev/messaging/formatting-message-text/), the id captured. */
export const USER_MENTION = new RegExp(`<@(${USER_ID})>`, 'g');

/**
 * The path of a message's permalink, `archives/<channel>/p<ts without the dot>` (the shape
 * chat.getPermalink answers, https://docs.slack.dev/reference/methods/chat.getPermalink/), or
 * undefined when the channel or ts does not look like Slack's, so nothing else reaches a link.
 */
export function messagePath(channelId: string | null, messageTs: string | null): string | undefined {
  if (!channelId || !messageTs || !/^[A-Z0-9]+$/.test(channelId) || !/^\d+\.\d+$/.test(messageTs))
    return undefined;
  return `archives/${channelId}/p${messageTs.replace('.', '')}`;
}

/**
 * A link to the ticket card's thread that works without knowing the workspace: slack.com sends
 * the reader on to the message in their own workspace. Null when there is no card (yet).
 */
export function slackThreadUrl(channelId: string | null, messageTs: string | null): string | null {
  const path = messagePath(channelId, messageTs);
  return path ? `https://slack.com/${path}` : null;
}
