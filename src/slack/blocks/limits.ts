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
  /**
   * A comment copied into the card's thread: a whole comment (COMMENT_MAX, 3,000 characters) even
   * when escaping makes each `&` five characters; Slack truncates message text only past 40,000.
   */
  threadCopyText: 16_000,
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
