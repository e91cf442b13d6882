import type { ModalView, PlainTextOption } from '@slack/types';
import { PRIORITIES, type Priority } from '../../db/models/ticket.js';
import type { SlackTranslate } from '../../i18n/index.js';
import { DESCRIPTION_MAX, TITLE_MAX } from '../../tickets/validation.js';
import { truncate } from '../text.js';
import { NEW_TICKET_FIELDS as F, VIEW_NEW_TICKET } from './ids.js';
import { LIMITS, plain } from './limits.js';

export interface RosterEntry {
  id: string;
  name: string;
}

export interface NewTicketPrefill {
  title?: string;
  description?: string;
}

/** Where the ticket comes from, carried through the modal in private_metadata. */
export interface NewTicketMetadata {
  /** The channel the command or shortcut was used in (where the card goes without HELPDESK_CHANNEL_ID). */
  channelId?: string;
  source?: { channelId: string; messageTs: string };
}

export function newTicketModal(
  prefill: NewTicketPrefill,
  roster: RosterEntry[],
  metadata: NewTicketMetadata,
  t: SlackTranslate,
): ModalView {
  const option = (text: string, value: string): PlainTextOption => ({
    text: plain(text, LIMITS.optionText),
    value,
  });
  const priorityOptions = PRIORITIES.map((p: Priority) => option(t(`priority.${p}`), p));
  const rosterOptions = roster
    .slice(0, LIMITS.staticSelectOptions)
    .map((entry) => option(entry.name, entry.id));
  return {
    type: 'modal',
    callback_id: VIEW_NEW_TICKET,
    title: plain(t('newTicketTitle'), LIMITS.modalTitle),
    submit: plain(t('submit'), LIMITS.modalTitle),
    close: plain(t('cancel'), LIMITS.modalTitle),
    private_metadata: truncate(JSON.stringify(metadata), LIMITS.privateMetadata),
    blocks: [
      {
        type: 'input',
        block_id: F.title.block,
        label: plain(t('field.title'), LIMITS.label),
        element: {
          type: 'plain_text_input',
          action_id: F.title.action,
          max_length: TITLE_MAX,
          placeholder: plain(t('fieldTitlePlaceholder'), LIMITS.placeholder),
          ...(prefill.title ? { initial_value: truncate(prefill.title.trim(), TITLE_MAX) } : {}),
        },
      },
      {
        type: 'input',
        block_id: F.description.block,
        optional: true,
        label: plain(t('field.description'), LIMITS.label),
        element: {
          type: 'plain_text_input',
          action_id: F.description.action,
          multiline: true,
          max_length: DESCRIPTION_MAX,
          placeholder: plain(t('fieldDescriptionPlaceholder'), LIMITS.placeholder),
          ...(prefill.description ? { initial_value: truncate(prefill.description, DESCRIPTION_MAX) } : {}),
        },
      },
      rosterOptions.length > 0
        ? {
            type: 'input',
            block_id: F.technician.block,
            optional: true,
            label: plain(t('field.technician'), LIMITS.label),
            hint: plain(t('fieldTechnicianHint'), LIMITS.label),
            element: {
              type: 'static_select',
              action_id: F.technician.action,
              placeholder: plain(t('fieldTechnicianPlaceholder'), LIMITS.placeholder),
              options: rosterOptions,
            },
          }
        : { type: 'context', elements: [plain(t('noTechnicians'))] },
      {
        type: 'input',
        block_id: F.priority.block,
        label: plain(t('field.priority'), LIMITS.label),
        element: {
          type: 'static_select',
          action_id: F.priority.action,
          options: priorityOptions,
          initial_option: priorityOptions[1],
        },
      },
    ],
  };
}
