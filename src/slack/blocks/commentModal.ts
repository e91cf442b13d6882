import type { ModalView } from '@slack/types';
import type { SlackTranslate } from '../../i18n/index.js';
import { COMMENT_FIELD, VIEW_ADD_COMMENT, VIEW_NOTICE } from './ids.js';
import { LIMITS, plain } from './limits.js';

export function commentModal(ticketId: number, t: SlackTranslate): ModalView {
  return {
    type: 'modal',
    callback_id: VIEW_ADD_COMMENT,
    title: plain(t('commentTitle'), LIMITS.modalTitle),
    submit: plain(t('commentSubmit'), LIMITS.modalTitle),
    close: plain(t('cancel'), LIMITS.modalTitle),
    private_metadata: JSON.stringify({ ticketId }),
    blocks: [
      {
        type: 'input',
        block_id: COMMENT_FIELD.block,
        label: plain(t('commentLabel', { id: ticketId }), LIMITS.label),
        element: {
          type: 'plain_text_input',
          action_id: COMMENT_FIELD.action,
          multiline: true,
          max_length: LIMITS.plainTextInput,
        },
      },
    ],
  };
}

/** A one-message modal, for explanations where no ephemeral message can go (App Home). */
export function noticeModal(text: string, t: SlackTranslate): ModalView {
  return {
    type: 'modal',
    callback_id: VIEW_NOTICE,
    title: plain(t('noticeTitle'), LIMITS.modalTitle),
    close: plain(t('close'), LIMITS.modalTitle),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}
