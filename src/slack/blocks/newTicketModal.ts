import type { InputBlock, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { PRIORITIES, type Priority } from '../../db/models/ticket.js';
import type { SlackTranslate } from '../../i18n/index.js';
import {
  fieldKey,
  LONG_VALUE_MAX,
  type RequestTypeView,
  SHORT_VALUE_MAX,
} from '../../tickets/requestTypes.js';
import { DESCRIPTION_MAX, TITLE_MAX } from '../../tickets/validation.js';
import { truncate } from '../text.js';
import { NEW_TICKET_FIELDS as F, REQUEST_FIELD_ACTION, VIEW_NEW_TICKET } from './ids.js';
import { LIMITS, plain } from './limits.js';

export interface RosterEntry {
  id: string;
  name: string;
}

export interface NewTicketPrefill {
  title?: string;
  description?: string;
  priority?: Priority;
  technicianId?: string | null;
  /** The request type to show (else the default type, else the first). */
  requestTypeId?: number;
  /** Answers to the type's fields already given, by field id (the modal redrawn for a new type). */
  fields?: Record<string, string>;
}

/** Where the ticket comes from, carried through the modal in private_metadata. */
export interface NewTicketMetadata {
  /** The channel the command or shortcut was used in (where the card goes without HELPDESK_CHANNEL_ID). */
  channelId?: string;
  source?: { channelId: string; messageTs: string };
  /** The request type whose fields the modal shows (a submission of another type is redrawn first). */
  requestTypeId?: number;
}

/** The type the modal shows: the one asked for, else the default, else the first; undefined without types. */
export function shownType(types: RequestTypeView[], requestTypeId?: number): RequestTypeView | undefined {
  return types.find((type) => type.id === requestTypeId) ?? types.find((type) => type.isDefault) ?? types[0];
}

/** The blocks asking for a request type's fields. */
function fieldBlocks(
  type: RequestTypeView,
  answers: Record<string, string>,
  t: SlackTranslate,
): KnownBlock[] {
  return type.fields.map((field): InputBlock => {
    const answer = answers[field.id];
    const base = {
      type: 'input' as const,
      block_id: fieldKey(field.id),
      optional: !field.required,
      label: plain(field.label, LIMITS.label),
    };
    if (field.kind === 'choice') {
      const options = (field.options ?? [])
        .slice(0, LIMITS.staticSelectOptions)
        .map((choice): PlainTextOption => ({ text: plain(choice, LIMITS.optionText), value: choice }));
      const initial = options.find((option) => option.value === answer);
      return {
        ...base,
        element: {
          type: 'static_select',
          action_id: REQUEST_FIELD_ACTION,
          placeholder: plain(t('fieldChoicePlaceholder'), LIMITS.placeholder),
          options,
          ...(initial ? { initial_option: initial } : {}),
        },
      };
    }
    const max = field.kind === 'long' ? LONG_VALUE_MAX : SHORT_VALUE_MAX;
    return {
      ...base,
      element: {
        type: 'plain_text_input',
        action_id: REQUEST_FIELD_ACTION,
        multiline: field.kind === 'long',
        max_length: max,
        ...(answer ? { initial_value: truncate(answer, max) } : {}),
      },
    };
  });
}

export function newTicketModal(
  prefill: NewTicketPrefill,
  roster: RosterEntry[],
  metadata: NewTicketMetadata,
  t: SlackTranslate,
  types: RequestTypeView[] = [],
): ModalView {
  const type = shownType(types, prefill.requestTypeId ?? metadata.requestTypeId);
  const typeOptions = types.slice(0, LIMITS.staticSelectOptions).map(
    (each): PlainTextOption => ({
      text: plain(each.name, LIMITS.optionText),
      value: String(each.id),
      ...(each.description ? { description: plain(each.description, LIMITS.optionText) } : {}),
    }),
  );
  const typeBlocks: KnownBlock[] = type
    ? [
        {
          type: 'input',
          block_id: F.requestType.block,
          // A pick is sent at once (block_actions), and the modal is redrawn with that type's fields.
          dispatch_action: true,
          label: plain(t('field.requestType'), LIMITS.label),
          element: {
            type: 'static_select',
            action_id: F.requestType.action,
            options: typeOptions,
            initial_option: typeOptions.find((option) => option.value === String(type.id)),
          },
        },
        ...(type.description
          ? [{ type: 'context' as const, elements: [plain(type.description, LIMITS.contextText)] }]
          : []),
      ]
    : [];
  const drawnFor: NewTicketMetadata = type ? { ...metadata, requestTypeId: type.id } : metadata;
  const priority = prefill.priority ?? type?.defaultPriority ?? 'normal';
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
    private_metadata: truncate(JSON.stringify(drawnFor), LIMITS.privateMetadata),
    blocks: [
      ...typeBlocks,
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
      ...(type ? fieldBlocks(type, prefill.fields ?? {}, t) : []),
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
              ...(prefill.technicianId &&
              rosterOptions.some((option) => option.value === prefill.technicianId)
                ? { initial_option: rosterOptions.find((option) => option.value === prefill.technicianId) }
                : {}),
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
          initial_option: priorityOptions[PRIORITIES.indexOf(priority)] ?? priorityOptions[1],
        },
      },
    ],
  };
}
