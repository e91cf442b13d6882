import type { KnownBlock, ModalView } from '@slack/types';
import type { Ticket } from '../../db/models/ticket.js';
import type { SlackTranslate } from '../../i18n/index.js';
import { REMARK_MAX } from '../../tickets/validation.js';
import { escapeAndTruncate } from '../text.js';
import { textModal } from './commentModal.js';
import { ACTION_RATING_REMARK, RATING_REMARK, rateActionId, VIEW_RATING_REMARK } from './ids.js';
import { LIMITS, md, plain } from './limits.js';

// The requester's rating DM. A message takes no input block (Slack refuses one posted with
// chat.postMessage: "unsupported surface for input block", slack-ruby-client#367), so the score
// buttons rate at once, and the remark is typed afterwards in a small modal opened from the thank-you.

/** The DM sent to the requester when their ticket is closed: 1–5 buttons, each rating at once. */
export function ratingPrompt(
  ticket: Ticket,
  technician: string,
  t: SlackTranslate,
): { text: string; blocks: KnownBlock[] } {
  const text = t('ratingPrompt', { id: ticket.id, title: escapeAndTruncate(ticket.title, 200), technician });
  return {
    text,
    blocks: [
      { type: 'section', text: md(text) },
      {
        type: 'actions',
        // The resolution in the block_id: a prompt sent before a reopen no longer counts.
        block_id: `rating:${ticket.id}:${ticket.resolution}`,
        elements: [1, 2, 3, 4, 5].map((score) => ({
          type: 'button' as const,
          action_id: rateActionId(score),
          text: plain('★'.repeat(score), LIMITS.buttonText),
          value: `${ticket.id}:${ticket.resolution}:${score}`,
        })),
      },
      { type: 'context', elements: [md(t('ratingPromptHint'), LIMITS.contextText)] },
    ],
  };
}

/** A rating as the thank-you shows it. */
export interface RatingShown {
  ticketId: number;
  resolution: number;
  score: number;
  remark: string | null;
}

/** What the prompt becomes once rated: thanks, then "Add a remark" until there is one, then the remark. */
export function ratingThanks(rating: RatingShown, t: SlackTranslate): { text: string; blocks: KnownBlock[] } {
  const text = t('ratingThanks', { score: rating.score });
  const blocks: KnownBlock[] = [{ type: 'section', text: md(text) }];
  if (rating.remark === null) {
    blocks.push({
      type: 'actions',
      block_id: `rating_remark:${rating.ticketId}:${rating.resolution}`,
      elements: [
        {
          type: 'button',
          action_id: ACTION_RATING_REMARK,
          text: plain(t('ratingAddRemark'), LIMITS.buttonText),
          value: `${rating.ticketId}:${rating.resolution}:${rating.score}`,
        },
      ],
    });
  } else {
    const remark = escapeAndTruncate(rating.remark, LIMITS.contextText - 100);
    blocks.push({ type: 'context', elements: [md(t('ratingYourRemark', { remark }), LIMITS.contextText)] });
  }
  return { text, blocks };
}

export function ratingDone(text: string): { text: string; blocks: KnownBlock[] } {
  return { text, blocks: [{ type: 'section', text: md(text) }] };
}

/** Which rating the remark modal is for, and where its thank-you is (to show the remark there). */
export interface RemarkTarget {
  ticketId: number;
  resolution: number;
  score: number;
  channel: string;
  ts: string;
}

/** The small modal that adds a remark to a rating already stored. */
export function ratingRemarkModal(target: RemarkTarget, t: SlackTranslate): ModalView {
  return textModal({
    callbackId: VIEW_RATING_REMARK,
    title: t('ratingRemarkTitle'),
    submit: t('ratingRemarkSubmit'),
    metadata: target,
    field: RATING_REMARK,
    label: t('ratingRemarkLabel', { id: target.ticketId, score: target.score }),
    maxLength: REMARK_MAX,
    t,
  });
}
