import type { KnownBlock } from '@slack/types';
import type { Ticket } from '../../db/models/ticket.js';
import { REMARK_MAX } from '../../tickets/validation.js';
import type { Messages } from '../messages.js';
import { escapeAndTruncate } from '../text.js';
import { RATING_REMARK, rateActionId } from './ids.js';
import { LIMITS, md, plain } from './limits.js';

/** The DM sent to the requester when their ticket is closed: an optional remark and 1–5 buttons. */
export function ratingPrompt(
  ticket: Ticket,
  technician: string,
  t: Messages,
): { text: string; blocks: KnownBlock[] } {
  const text = t.ratingPrompt(ticket.id, escapeAndTruncate(ticket.title, 200), technician);
  return {
    text,
    blocks: [
      { type: 'section', text: md(text) },
      {
        type: 'input',
        block_id: RATING_REMARK.block,
        optional: true,
        label: plain(t.ratingRemarkLabel, LIMITS.label),
        element: {
          type: 'plain_text_input',
          action_id: RATING_REMARK.action,
          multiline: true,
          max_length: REMARK_MAX,
        },
      },
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
    ],
  };
}

export function ratingDone(text: string): { text: string; blocks: KnownBlock[] } {
  return { text, blocks: [{ type: 'section', text: md(text) }] };
}
