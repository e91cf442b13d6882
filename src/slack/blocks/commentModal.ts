import type { ModalView } from '@slack/types';
import type { SlackTranslate } from '../../i18n/index.js';
import { COMMENT_FIELD, VIEW_ADD_COMMENT, VIEW_NOTICE } from './ids.js';
import { LIMITS, plain } from './limits.js';

export function commentModal(ticketId: number, t: SlackTranslate): ModalView {
  return textModal({
    callbackId: VIEW_ADD_COMMENT,
    title: t('commentTitle'),
    submit: t('commentSubmit'),
    metadata: { ticketId },
    field: COMMENT_FIELD,
    label: t('commentLabel', { id: ticketId }),
    maxLength: LIMITS.plainTextInput,
    t,
  });
}

/** A modal that asks for one piece of text (a comment, a remark), with its submit and cancel buttons. */
export function textModal(modal: {
  callbackId: string;
  title: string;
  submit: string;
  metadata: object;
  field: { block: string; action: string };
  label: string;
  maxLength: number;
  t: SlackTranslate;
}): ModalView {
  return {
    type: 'modal',
    callback_id: modal.callbackId,
    title: plain(modal.title, LIMITS.modalTitle),
    submit: plain(modal.submit, LIMITS.modalTitle),
    close: plain(modal.t('cancel'), LIMITS.modalTitle),
    private_metadata: JSON.stringify(modal.metadata),
    blocks: [
      {
        type: 'input',
        block_id: modal.field.block,
        label: plain(modal.label, LIMITS.label),
        element: {
          type: 'plain_text_input',
          action_id: modal.field.action,
          multiline: true,
          max_length: modal.maxLength,
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
