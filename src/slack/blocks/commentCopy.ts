import type { SlackTranslate } from '../../i18n/index.js';
import { escapeAndTruncate, escapeMrkdwn } from '../text.js';
import { LIMITS } from './limits.js';

/**
 * The message that copies a comment made outside the thread (the Add comment modal) into the
 * card's thread: `who` (mrkdwn, already escaped) and the comment, whole. Past what Slack shows of
 * a message, it stops with a line saying so and a link to where the whole comment is (`wholeAt`,
 * the ticket's status page).
 */
export function commentCopyText(who: string, body: string, wholeAt: string, t: SlackTranslate): string {
  const copy = (text: string) => t('commentInThread', { who, body: text });
  const whole = copy(escapeMrkdwn(body));
  if (whole.length <= LIMITS.messageText) return whole;
  const note = t('commentCut', { link: wholeAt });
  const room = LIMITS.messageText - copy('').length - note.length;
  return copy(escapeAndTruncate(body, room)) + note;
}
