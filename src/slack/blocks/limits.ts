import type { MrkdwnElement, PlainTextElement } from '@slack/types';
import { escapeAndTruncate, truncate } from '../text.js';

// Block Kit's limits (see @slack/types and Slack's block reference). Text longer than these is
// cut here, so Slack never rejects a message or a view because a requester wrote a novel.
export const LIMITS = {
  sectionText: 3000,
  field: 2000,
  header: 150,
  buttonText: 75,
  optionText: 75,
  placeholder: 150,
  label: 2000,
  modalTitle: 24,
  privateMetadata: 3000,
  contextText: 3000,
  messageBlocks: 50,
  viewBlocks: 100,
  staticSelectOptions: 100,
  notificationText: 3000,
  /** plain_text_input `max_length` is 1–3000 (Block Kit's plain-text input element reference). */
  plainTextInput: 3000,
  /**
   * A message's `text`: Slack truncates past 40,000 characters, counted as sent (escaped)
   * (https://api.slack.com/changelog/2018-04-truncating-really-long-messages).
   */
  messageText: 40_000,
} as const;

export function plain(text: string, max: number = LIMITS.sectionText): PlainTextElement {
  return { type: 'plain_text', text: truncate(text, max) || ' ', emoji: true };
}

/** mrkdwn written by ticketbot itself (already escaped where it embeds user text). */
export function md(text: string, max: number = LIMITS.sectionText): MrkdwnElement {
  return { type: 'mrkdwn', text: truncate(text, max) || ' ' };
}

/** mrkdwn made of user text: escaped, then cut. */
export function userMd(text: string, max: number = LIMITS.sectionText): MrkdwnElement {
  return { type: 'mrkdwn', text: escapeAndTruncate(text, max) || ' ' };
}
