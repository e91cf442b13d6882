import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { ASSIGNMENT_RULES, FIELD_KINDS } from '../../db/models/requestType.js';
import { PRIORITIES, type Priority } from '../../db/models/ticket.js';
import type { SlackKey, SlackTranslate } from '../../i18n/index.js';
import {
  FIELD_LABEL_MAX,
  FIELDS_MAX,
  type RequestTypeView,
  TYPE_DESCRIPTION_MAX,
  TYPE_NAME_MAX,
  TYPE_TARGET_MAX,
} from '../../tickets/requestTypes.js';
import {
  REQUEST_TYPE_BLOCKS as B,
  requestTypeFieldBlocks,
  requestTypeTargetBlock,
  VIEW_REQUEST_TYPE,
} from './ids.js';
import { LIMITS, plain } from './limits.js';
import type { RosterEntry } from './newTicketModal.js';

// The modal an admin defines a request type in, from the App Home. Each block has one element
// whose action_id is the block's id. A field slot is three blocks: its label (empty: no field),
// its kind with whether it is required, and the choices of a choice field, one per line. Last,
// the type's own service-level target per priority, written as SLA_TARGETS_<PRIORITY> are
// ("1h/4h"; empty: the priority's, shown as the placeholder). 9 + 2 + 15 + 2 + 4 = 32 blocks, of
// a modal's 100 (https://docs.slack.dev/reference/block-kit/blocks).

/** The priorities in the order the targets are asked, the most pressing first. */
export const TARGET_PRIORITIES: Priority[] = [...PRIORITIES].reverse();

/** What the modal carries: the type edited (absent: a new one) and the version it was drawn from. */
export interface RequestTypeModalMetadata {
  id?: number;
  version?: number;
}

/** A field slot's kind select: each kind, optional or required. */
export const FIELD_KIND_VALUES = FIELD_KINDS.flatMap((kind) => [`${kind}`, `${kind}:required`]);

/**
 * `defaultTargets`: each priority's target as written (the placeholder of its field); absent
 * when service levels are off, the fields then say so in their hint.
 */
export function requestTypeModal(
  type: RequestTypeView | undefined,
  roster: RosterEntry[],
  t: SlackTranslate,
  defaultTargets?: Record<Priority, string>,
): ModalView {
  const option = (text: string, value: string): PlainTextOption => ({
    text: plain(text, LIMITS.optionText),
    value,
  });
  const priorities = PRIORITIES.map((priority) => option(t(`priority.${priority}`), priority));
  const rules = ASSIGNMENT_RULES.map((rule) => option(t(`assignment.${rule}` as SlackKey), rule));
  const kinds = FIELD_KIND_VALUES.map((value) =>
    option(t(`fieldKind.${value.replace(':', '_')}` as SlackKey), value),
  );
  const flags = [
    option(t('typePrivate'), 'private'),
    option(t('typeDefault'), 'default'),
    ...(type ? [option(t('typeArchived'), 'archived')] : []),
  ];
  const flagsSet = new Set<string>();
  if (type?.isPrivate) flagsSet.add('private');
  if (type?.isDefault) flagsSet.add('default');
  if (type?.archived) flagsSet.add('archived');
  const technicianOptions = roster
    .slice(0, LIMITS.staticSelectOptions)
    .map((entry) => option(entry.name, entry.id));
  const chosenTechnicians = technicianOptions.filter((each) =>
    type?.technicianIds.includes(each.value ?? ''),
  );
  const metadata: RequestTypeModalMetadata = type ? { id: type.id, version: type.version } : {};

  const blocks: KnownBlock[] = [
    {
      type: 'input',
      block_id: B.name,
      label: plain(t('typeName'), LIMITS.label),
      element: {
        type: 'plain_text_input',
        action_id: B.name,
        max_length: TYPE_NAME_MAX,
        ...(type ? { initial_value: type.name } : {}),
      },
    },
    {
      type: 'input',
      block_id: B.description,
      optional: true,
      label: plain(t('typeDescription'), LIMITS.label),
      hint: plain(t('typeDescriptionHint'), LIMITS.label),
      element: {
        type: 'plain_text_input',
        action_id: B.description,
        multiline: true,
        max_length: TYPE_DESCRIPTION_MAX,
        ...(type?.description ? { initial_value: type.description } : {}),
      },
    },
    {
      type: 'input',
      block_id: B.priority,
      label: plain(t('typePriority'), LIMITS.label),
      element: {
        type: 'static_select',
        action_id: B.priority,
        options: priorities,
        initial_option: priorities[PRIORITIES.indexOf(type?.defaultPriority ?? 'normal')],
      },
    },
    technicianOptions.length > 0
      ? {
          type: 'input',
          block_id: B.technicians,
          optional: true,
          label: plain(t('typeTechnicians'), LIMITS.label),
          element: {
            type: 'multi_static_select',
            action_id: B.technicians,
            options: technicianOptions,
            ...(chosenTechnicians.length > 0 ? { initial_options: chosenTechnicians } : {}),
          },
        }
      : { type: 'context', elements: [plain(t('noTechnicians'))] },
    {
      type: 'input',
      block_id: B.assignment,
      label: plain(t('typeAssignment'), LIMITS.label),
      element: {
        type: 'static_select',
        action_id: B.assignment,
        options: rules,
        initial_option: rules[ASSIGNMENT_RULES.indexOf(type?.assignment ?? 'none')],
      },
    },
    {
      type: 'input',
      block_id: B.channel,
      optional: true,
      label: plain(t('typeChannel'), LIMITS.label),
      hint: plain(t('typeChannelHint'), LIMITS.label),
      element: {
        type: 'conversations_select',
        action_id: B.channel,
        filter: { include: ['public', 'private'], exclude_bot_users: true },
        ...(type?.channelId && !type.isPrivate ? { initial_conversation: type.channelId } : {}),
      },
    },
    {
      type: 'input',
      block_id: B.privateChannel,
      optional: true,
      label: plain(t('typePrivateChannel'), LIMITS.label),
      hint: plain(t('typePrivateChannelHint'), LIMITS.label),
      element: {
        // Only private channels are offered ("include": "private", the conversation filter object:
        // https://docs.slack.dev/reference/block-kit/composition-objects/conversation-filter-object/).
        type: 'conversations_select',
        action_id: B.privateChannel,
        filter: { include: ['private'], exclude_bot_users: true },
        ...(type?.channelId && type.isPrivate ? { initial_conversation: type.channelId } : {}),
      },
    },
    {
      type: 'input',
      block_id: B.flags,
      optional: true,
      label: plain(t('typeOptions'), LIMITS.label),
      element: {
        type: 'checkboxes',
        action_id: B.flags,
        options: flags,
        ...(flags.some((each) => flagsSet.has(each.value ?? ''))
          ? { initial_options: flags.filter((each) => flagsSet.has(each.value ?? '')) }
          : {}),
      },
    },
    { type: 'header', text: plain(t('typeFields'), LIMITS.header) },
    { type: 'context', elements: [plain(t('typeFieldsHint', { max: FIELDS_MAX }))] },
  ];
  for (let slot = 0; slot < FIELDS_MAX; slot++) {
    const field = type?.fields[slot];
    const ids = requestTypeFieldBlocks(slot);
    const kind = field ? `${field.kind}${field.required ? ':required' : ''}` : 'short';
    blocks.push(
      {
        type: 'input',
        block_id: ids.label,
        optional: true,
        label: plain(t('typeFieldLabel', { n: slot + 1 }), LIMITS.label),
        element: {
          type: 'plain_text_input',
          action_id: ids.label,
          max_length: FIELD_LABEL_MAX,
          ...(field ? { initial_value: field.label } : {}),
        },
      },
      {
        type: 'input',
        block_id: ids.kind,
        label: plain(t('typeFieldKind', { n: slot + 1 }), LIMITS.label),
        element: {
          type: 'static_select',
          action_id: ids.kind,
          options: kinds,
          initial_option: kinds[FIELD_KIND_VALUES.indexOf(kind)] ?? kinds[0],
        },
      },
      {
        type: 'input',
        block_id: ids.options,
        optional: true,
        label: plain(t('typeFieldChoices', { n: slot + 1 }), LIMITS.label),
        element: {
          type: 'plain_text_input',
          action_id: ids.options,
          multiline: true,
          max_length: LIMITS.plainTextInput,
          ...(field?.options?.length ? { initial_value: field.options.join('\n') } : {}),
        },
      },
    );
  }
  blocks.push(
    { type: 'header', text: plain(t('typeTargets'), LIMITS.header) },
    {
      type: 'context',
      elements: [plain(t(defaultTargets ? 'typeTargetsHint' : 'typeTargetsOff'))],
    },
  );
  for (const priority of TARGET_PRIORITIES) {
    const block = requestTypeTargetBlock(priority);
    const own = type?.slaTargets[priority];
    const fallback = defaultTargets?.[priority];
    blocks.push({
      type: 'input',
      block_id: block,
      optional: true,
      label: plain(t('typeTarget', { priority: t(`priority.${priority}`) }), LIMITS.label),
      element: {
        type: 'plain_text_input',
        action_id: block,
        max_length: TYPE_TARGET_MAX,
        ...(fallback ? { placeholder: plain(fallback, LIMITS.placeholder) } : {}),
        ...(own ? { initial_value: own } : {}),
      },
    });
  }
  return {
    type: 'modal',
    callback_id: VIEW_REQUEST_TYPE,
    title: plain(t(type ? 'typeEditTitle' : 'typeNewTitle'), LIMITS.modalTitle),
    submit: plain(t('save'), LIMITS.modalTitle),
    close: plain(t('cancel'), LIMITS.modalTitle),
    private_metadata: JSON.stringify(metadata),
    blocks,
  };
}
