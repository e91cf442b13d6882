import { ErrorCode } from '@slack/web-api';

// Which of Slack's answers are final for a message ticketbot owes, and which only mean "not now".
//
// Slack's error list for chat.postMessage (https://docs.slack.dev/reference/methods/chat.postMessage,
// "Errors") mixes both: refusals of the conversation itself (`channel_not_found`, `not_in_channel`,
// `is_archived`, `restricted_action*`), which posting again will not change, and platform trouble
// that passes: `internal_error` and `fatal_error` ("likely due to a transient issue on our end. It's
// possible some aspect of the operation succeeded before the error was raised"),
// `service_unavailable`, `request_timeout`, `ratelimited`, `team_added_to_org` ("intermittently
// unavailable until the transition is complete"). The page also warns that "other errors can be
// returned in the case where the service is down". So only the refusals below are final; every
// other answer, an HTTP error, a timeout or a dropped connection leaves the message owed, and a
// catch-up tries again.

/** chat.postMessage's refusals of the conversation (docs.slack.dev, chat.postMessage, Errors). */
const CONVERSATION_REFUSED = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'restricted_action',
  'restricted_action_read_only_channel',
  'restricted_action_thread_only_channel',
]);

/**
 * Refusals of a DM for good: conversations.open's `user_not_found`, `user_disabled`,
 * `user_not_visible` (https://docs.slack.dev/reference/methods/conversations.open, Errors) and
 * chat.postMessage's `messages_tab_disabled` ("Messages tab for the app is disabled").
 */
const PERSON_REFUSED = new Set([
  'user_not_found',
  'user_disabled',
  'user_not_visible',
  'messages_tab_disabled',
]);

/** Slack's `error` when it answered `ok: false`; undefined for anything else (HTTP, network, timeout). */
export function slackErrorOf(error: unknown): string | undefined {
  if ((error as { code?: string }).code !== ErrorCode.PlatformError) return undefined;
  return (error as { data?: { error?: string } }).data?.error;
}

/** Slack refused the channel a message was for: posting there again will be refused too. */
export function isConversationRefused(error: unknown): boolean {
  const code = slackErrorOf(error);
  return code !== undefined && CONVERSATION_REFUSED.has(code);
}

/** Slack refused a DM for good: the person or their conversation with the bot cannot be reached. */
export function isDmRefused(error: unknown): boolean {
  const code = slackErrorOf(error);
  return code !== undefined && (CONVERSATION_REFUSED.has(code) || PERSON_REFUSED.has(code));
}

/** The client's rate-limit error (rejectRateLimitedCalls): HTTP 429 with Retry-After, in seconds. */
export function retryAfterOf(error: unknown): number | undefined {
  if ((error as { code?: string }).code !== ErrorCode.RateLimitedError) return undefined;
  const seconds = (error as { retryAfter?: number }).retryAfter;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? seconds : undefined;
}
