import type { ActionsBlock, Button, KnownBlock, StaticSelect, UsersSelect } from '@slack/types';
import { PRIORITIES, type Ticket } from '../../db/models/ticket.js';
import { autoAssignRuleOf } from '../../db/models/ticketEvent.js';
import type { SlackKey, SlackTranslate } from '../../i18n/index.js';
import type { TicketView } from '../../tickets/queries.js';
import { type RequestTypeView, storedFieldsOf } from '../../tickets/requestTypes.js';
import { escapeAndTruncate, slackDate, truncate } from '../text.js';
import {
  ACTION_ASSIGN,
  ACTION_CLOSE,
  ACTION_COMMENT,
  ACTION_PRIORITY,
  ACTION_REOPEN,
  ACTION_START,
  ACTION_TYPE,
  ACTION_UNASSIGN,
  ticketActionsBlockId,
} from './ids.js';
import { LIMITS, md, plain, userMd } from './limits.js';
import { person } from './people.js';
import { serviceLevelCardLine } from './serviceLevel.js';

const PRIORITY_ICON: Record<string, string> = {
  low: ':white_circle:',
  normal: ':large_blue_circle:',
  high: ':large_orange_circle:',
  urgent: ':red_circle:',
};
const STATUS_ICON: Record<string, string> = {
  open: ':new:',
  in_progress: ':hammer_and_wrench:',
  closed: ':white_check_mark:',
};

/**
 * A static_select of the types a ticket can be changed to, for its card. At most 100 options
 * (https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element/), each text up
 * to 75 characters and an initial option that is one of them
 * (https://docs.slack.dev/reference/block-kit/composition-objects/option-object/); a select is
 * allowed in an actions block (https://docs.slack.dev/reference/block-kit/blocks/actions-block).
 */
export const TYPE_OPTIONS_MAX = 100;

function typeSelect(ticket: Ticket, types: RequestTypeView[], t: SlackTranslate): StaticSelect {
  const options = types.slice(0, TYPE_OPTIONS_MAX).map((type) => ({
    text: plain(type.name, LIMITS.optionText),
    value: String(type.id),
  }));
  const current = options.find((option) => option.value === String(ticket.requestTypeId));
  return {
    type: 'static_select',
    action_id: ACTION_TYPE,
    placeholder: plain(t('typePlaceholder'), LIMITS.placeholder),
    options,
    ...(current ? { initial_option: current } : {}),
  };
}

/**
 * A static_select of the four priorities, the current one picked
 * (https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element: at most 100
 * options, each a plain_text text of up to 75 characters; the initial option is one of them).
 * Everybody sees it; the domain refuses a pick from anybody but staff.
 */
function prioritySelect(ticket: Ticket, t: SlackTranslate): StaticSelect {
  // Most urgent first.
  const options = [...PRIORITIES].reverse().map((priority) => ({
    text: plain(t(`priority.${priority}`), LIMITS.optionText),
    value: priority,
  }));
  const current = options.find((option) => option.value === ticket.priority);
  return {
    type: 'static_select',
    action_id: ACTION_PRIORITY,
    placeholder: plain(t('priorityPlaceholder'), LIMITS.placeholder),
    options,
    ...(current ? { initial_option: current } : {}),
  };
}

/**
 * The buttons of a ticket, shared by its card and the App Home: only those that apply now. With
 * `types` (the card, when request types exist) an open ticket's type can be changed there;
 * `withPriority` (the card, and the App Home of technicians and admins) adds the priority select.
 */
export function ticketActions(
  ticket: Ticket,
  t: SlackTranslate,
  place?: string,
  types: RequestTypeView[] = [],
  withPriority = false,
): ActionsBlock {
  const button = (actionId: string, text: string, style?: 'primary' | 'danger'): Button => ({
    type: 'button',
    action_id: actionId,
    text: plain(text, LIMITS.buttonText),
    value: String(ticket.id),
    ...(style ? { style } : {}),
  });
  const elements: ActionsBlock['elements'] = [];
  if (ticket.status !== 'closed') {
    const assign: UsersSelect = {
      type: 'users_select',
      action_id: ACTION_ASSIGN,
      placeholder: plain(t('assignPlaceholder'), LIMITS.placeholder),
      ...(ticket.technicianId ? { initial_user: ticket.technicianId } : {}),
    };
    elements.push(assign);
    if (ticket.technicianId) elements.push(button(ACTION_UNASSIGN, t('buttonUnassign')));
  }
  if (ticket.status !== 'closed' && types.length > 0) elements.push(typeSelect(ticket, types, t));
  if (ticket.status !== 'closed' && withPriority) elements.push(prioritySelect(ticket, t));
  if (ticket.status === 'open') elements.push(button(ACTION_START, t('buttonStart'), 'primary'));
  if (ticket.status !== 'closed') elements.push(button(ACTION_CLOSE, t('buttonClose')));
  if (ticket.status === 'closed') elements.push(button(ACTION_REOPEN, t('buttonReopen')));
  elements.push(button(ACTION_COMMENT, t('buttonComment')));
  return { type: 'actions', block_id: ticketActionsBlockId(ticket.id, ticket.version, place), elements };
}

export function latestActivity(view: TicketView, t: SlackTranslate): string | undefined {
  if (!view.latest) return undefined;
  const { event, actor } = view.latest;
  // ticketbot itself, under a request type's assignment rule: "ticketbot (round-robin)".
  const rule = autoAssignRuleOf(event.actorId);
  const who = rule ? t(`actor.${rule}`) : person(actor, event.actorId);
  const statusName = (value: string | null) =>
    value && t.has(`status.${value}`) ? t(`status.${value}` as SlackKey) : (value ?? '');
  let text: string;
  switch (event.type) {
    case 'assigned':
      text = t('activity.assigned', {
        who,
        to: person(view.technician?.id === event.toValue ? view.technician : null, event.toValue),
      });
      break;
    case 'status_changed':
      text = t('activity.status_changed', {
        who,
        from: statusName(event.fromValue),
        to: statusName(event.toValue),
      });
      break;
    case 'rated':
      text = t('activity.rated', { who, score: event.toValue ?? '?' });
      break;
    case 'priority_changed':
      text = t('activity.priority_changed', {
        who,
        from: t.has(`priority.${event.fromValue}`) ? t(`priority.${event.fromValue}` as SlackKey) : '',
        to: t.has(`priority.${event.toValue}`) ? t(`priority.${event.toValue}` as SlackKey) : '',
      });
      break;
    case 'sla_warning':
    case 'sla_breached':
      // Raised by the SLA job: nobody to name.
      text = t(`activity.${event.type}`, { target: event.fromValue ?? '' });
      break;
    case 'type_changed':
      text = t('activity.type_changed', {
        who,
        from: escapeAndTruncate(event.fromValue ?? '—', 80),
        to: escapeAndTruncate(event.toValue ?? '—', 80),
      });
      break;
    default:
      text = t(`activity.${event.type}`, { who });
  }
  return `${text} · ${slackDate(event.createdAt)}`;
}

/**
 * The ticket card posted in the helpdesk channel and kept up to date in place. `types`: the
 * request types it can be changed to (none defined: no select).
 */
export function ticketCard(
  view: TicketView,
  t: SlackTranslate,
  types: RequestTypeView[] = [],
): { text: string; blocks: KnownBlock[] } {
  const { ticket } = view;
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(`#${ticket.id} ${ticket.title}`, LIMITS.header) },
    {
      type: 'section',
      fields: [
        md(
          `*${t('field.priority')}*\n${PRIORITY_ICON[ticket.priority]} ${t(`priority.${ticket.priority}`)}`,
          LIMITS.field,
        ),
        md(
          `*${t('field.status')}*\n${STATUS_ICON[ticket.status]} ${t(`status.${ticket.status}` as SlackKey)}`,
          LIMITS.field,
        ),
        md(`*${t('field.requester')}*\n${person(view.requester, ticket.requesterId)}`, LIMITS.field),
        md(
          `*${t('field.technician')}*\n${ticket.technicianId ? person(view.technician, ticket.technicianId) : t('cardUnassigned')}`,
          LIMITS.field,
        ),
      ],
    },
  ];
  if (view.requestType) {
    // The type and the answers to its fields: a section holds up to 10 fields of 2,000 characters
    // (https://docs.slack.dev/reference/block-kit/blocks/section-block/).
    const answers = storedFieldsOf(ticket).slice(0, 9);
    blocks.push({
      type: 'section',
      fields: [
        md(`${t('cardType')}\n${escapeAndTruncate(view.requestType.name, 80)}`, LIMITS.field),
        ...answers.map((answer) =>
          md(
            `*${escapeAndTruncate(answer.label, 80)}*\n${escapeAndTruncate(answer.value, 1500)}`,
            LIMITS.field,
          ),
        ),
      ],
    });
  }
  if (ticket.description.trim() !== '')
    blocks.push({ type: 'section', text: userMd(ticket.description, LIMITS.sectionText) });
  const context: string[] = [];
  if (ticket.sourceMessageTs) {
    context.push(
      ticket.sourcePermalink
        ? t('cardFromMessage', { link: ticket.sourcePermalink })
        : t('cardFromMessageNoLink'),
    );
  }
  const serviceLevel = serviceLevelCardLine(ticket, t);
  if (serviceLevel) context.push(serviceLevel);
  const latest = latestActivity(view, t);
  if (latest) context.push(`${t('cardLatest')} ${latest}`);
  if (context.length > 0)
    blocks.push({ type: 'context', elements: context.map((text) => md(text, LIMITS.contextText)) });
  blocks.push(ticketActions(ticket, t, undefined, types, true));
  return {
    text: truncate(
      t('cardFallback', { id: ticket.id, title: escapeAndTruncate(ticket.title, 200) }),
      LIMITS.notificationText,
    ),
    blocks,
  };
}

/** One line per ticket, for lists (App Home, /ticket mine). */
export function ticketLine(ticket: Ticket, t: SlackTranslate): string {
  return `*#${ticket.id}* ${escapeAndTruncate(ticket.title, 200)} · ${t(`status.${ticket.status}` as SlackKey)} · ${t(`priority.${ticket.priority}`)}`;
}
