import type { HomeView, KnownBlock } from '@slack/types';
import type { User } from '../../db/models/user.js';
import type { SlackTranslate } from '../../i18n/index.js';
import type { TicketList } from '../../tickets/queries.js';
import type { RequestTypeView } from '../../tickets/requestTypes.js';
import {
  ACTION_AVAILABILITY,
  ACTION_EMAIL_PREFERENCES,
  ACTION_HOME_NEW_TICKET,
  ACTION_REQUEST_TYPE_EDIT,
  ACTION_ROSTER_ADD,
  ACTION_ROSTER_REMOVE,
} from './ids.js';
import { LIMITS, md, plain, userMd } from './limits.js';
import { person } from './people.js';
import { TARGET_PRIORITIES } from './requestTypeModal.js';
import { serviceLevelLine } from './serviceLevel.js';
import { ticketActions, ticketLine } from './ticketCard.js';

// How much the App Home shows, so it always stays under Block Kit's 100 blocks per view.
export const HOME_LIMITS = { mine: 8, assigned: 15, roster: 20, types: 12 } as const;

export interface AppHomeModel {
  viewer: User;
  mine: TicketList;
  /** Present for technicians. */
  assigned?: TicketList;
  /** Present for technicians and admins. */
  roster?: User[];
  /** Present for admins: every request type, archived ones too. */
  requestTypes?: RequestTypeView[];
  /** The kinds of email offered to the viewer (the digest too for a manager), and those left on. */
  emails?: { offered: readonly string[]; on: ReadonlySet<string> };
}

/**
 * "Emails you get": a checkbox per kind of email, ticked while it is on. Block Kit allows at most
 * 10 options in a checkboxes element ("A maximum of 10 options are allowed",
 * https://docs.slack.dev/reference/block-kit/block-elements/checkboxes-element); there are 7 kinds.
 * Its initial_options must be among its options, and are left out when none is ticked.
 */
export function emailSection(emails: NonNullable<AppHomeModel['emails']>, t: SlackTranslate): KnownBlock[] {
  const options = emails.offered.slice(0, 10).map((kind) => ({
    text: plain(t(`emailKind.${kind}` as Parameters<SlackTranslate>[0]), 75),
    value: kind,
  }));
  const ticked = options.filter((option) => emails.on.has(option.value));
  return [
    { type: 'divider' },
    {
      type: 'section',
      block_id: 'email_preferences',
      text: md(t('homeEmails')),
      accessory: {
        type: 'checkboxes',
        action_id: ACTION_EMAIL_PREFERENCES,
        options,
        ...(ticked.length > 0 ? { initial_options: ticked } : {}),
      },
    },
  ];
}

/** "own targets: Urgent 30m/2h, High 2h/1d": the type's own service-level targets, if any. */
function ownTargets(type: RequestTypeView, t: SlackTranslate): string {
  const own = TARGET_PRIORITIES.flatMap((priority) => {
    const written = type.slaTargets[priority];
    // Written targets are digits, d, h, m and a slash (src/tickets/sla.ts typeTargetsOf): nothing to escape.
    return written ? [`${t(`priority.${priority}`)} ${written}`] : [];
  });
  return own.length > 0 ? t('homeTypeTargets', { targets: own.join(', ') }) : '';
}

function requestTypeSection(types: RequestTypeView[], t: SlackTranslate): KnownBlock[] {
  const blocks: KnownBlock[] = [
    { type: 'divider' },
    { type: 'header', text: plain(t('homeTypes'), LIMITS.header) },
  ];
  if (types.length === 0) blocks.push({ type: 'section', text: md(t('homeTypesNone')) });
  for (const type of types.slice(0, HOME_LIMITS.types)) {
    const flags = [
      type.isDefault ? t('homeTypeDefault') : '',
      type.isPrivate ? t('homeTypePrivate') : '',
      type.archived ? t('homeTypeArchived') : '',
    ].join('');
    const summary = [
      t('homeTypeFields', { count: type.fields.length }),
      type.channelId ? `<#${type.channelId}>` : '',
      type.assignment !== 'none' ? t(`assignment.${type.assignment}`) : '',
      ownTargets(type, t),
    ]
      .filter(Boolean)
      .join(' · ');
    blocks.push({
      type: 'section',
      block_id: `request_type:${type.id}`,
      text: md(t('homeTypeLine', { name: userMd(type.name, 80).text, flags, summary })),
      accessory: {
        type: 'button',
        action_id: ACTION_REQUEST_TYPE_EDIT,
        text: plain(t('homeTypeEdit'), LIMITS.buttonText),
        value: String(type.id),
      },
    });
  }
  if (types.length > HOME_LIMITS.types)
    blocks.push({
      type: 'context',
      elements: [md(t('homeMore', { count: types.length - HOME_LIMITS.types }))],
    });
  blocks.push({
    type: 'actions',
    block_id: 'request_type_add',
    elements: [
      {
        type: 'button',
        action_id: ACTION_REQUEST_TYPE_EDIT,
        text: plain(t('homeTypeAdd'), LIMITS.buttonText),
        value: 'new',
      },
    ],
  });
  return blocks;
}

/**
 * A section of tickets: a line and a row of actions each. `withPriority` (the staff's home) puts
 * the priority select in the ticket's row of actions, the card's own (ticketPriority.ts
 * listens, whichever view it is in): an element, not a block, so the home's block count is
 * unchanged; an actions block holds up to 25 elements
 * (https://docs.slack.dev/reference/block-kit/blocks/actions-block), a ticket's row at most 6.
 */
function ticketSection(
  place: string,
  title: string,
  list: TicketList,
  shown: number,
  t: SlackTranslate,
  withPriority = false,
): KnownBlock[] {
  const blocks: KnownBlock[] = [{ type: 'header', text: plain(title, LIMITS.header) }];
  if (list.tickets.length === 0) blocks.push({ type: 'section', text: md(t('homeNone')) });
  for (const ticket of list.tickets.slice(0, shown)) {
    // The service level joins the ticket's own line: one more block per ticket would take the
    // view past Block Kit's 100 blocks.
    const serviceLevel = serviceLevelLine(ticket, t);
    blocks.push({
      type: 'section',
      text: md(serviceLevel ? `${ticketLine(ticket, t)}\n${serviceLevel}` : ticketLine(ticket, t)),
    });
    blocks.push(ticketActions(ticket, t, place, [], withPriority));
  }
  if (list.total > shown)
    blocks.push({ type: 'context', elements: [md(t('homeMore', { count: list.total - shown }))] });
  return blocks;
}

export function appHome(model: AppHomeModel, t: SlackTranslate): HomeView {
  // Technicians and admins change an open ticket's priority from their home, as on its card
  // (the rules refuse anybody else, so a requester is not offered it).
  const staff = model.viewer.isTechnician || model.viewer.isAdmin;
  const blocks: KnownBlock[] = [
    {
      type: 'actions',
      block_id: 'home_actions',
      elements: [
        {
          type: 'button',
          action_id: ACTION_HOME_NEW_TICKET,
          text: plain(t('homeNewTicket'), LIMITS.buttonText),
          style: 'primary',
        },
      ],
    },
    ...(model.viewer.isTechnician
      ? [
          {
            type: 'section' as const,
            block_id: 'availability',
            text: md(t(model.viewer.awaySince ? 'homeAway' : 'homeAvailable')),
            accessory: {
              type: 'button' as const,
              action_id: ACTION_AVAILABILITY,
              text: plain(t(model.viewer.awaySince ? 'homeSetAvailable' : 'homeSetAway'), LIMITS.buttonText),
              value: model.viewer.awaySince ? 'available' : 'away',
            },
          },
        ]
      : []),
    ...ticketSection('mine', t('homeMine'), model.mine, HOME_LIMITS.mine, t, staff),
  ];
  if (model.assigned)
    blocks.push(
      { type: 'divider' },
      ...ticketSection('assigned', t('homeAssigned'), model.assigned, HOME_LIMITS.assigned, t, staff),
    );
  if (model.roster) {
    blocks.push({ type: 'divider' }, { type: 'header', text: plain(t('homeRoster'), LIMITS.header) });
    if (model.roster.length === 0) blocks.push({ type: 'section', text: md(t('homeRosterEmpty')) });
    const shown = model.roster.slice(0, HOME_LIMITS.roster);
    for (const technician of shown) {
      blocks.push({
        type: 'section',
        block_id: `roster:${technician.id}`,
        text: md(person(technician)),
        ...(model.viewer.isAdmin
          ? {
              accessory: {
                type: 'button' as const,
                action_id: ACTION_ROSTER_REMOVE,
                text: plain(t('homeRosterRemove'), LIMITS.buttonText),
                value: technician.id,
              },
            }
          : {}),
      });
    }
    if (model.roster.length > shown.length) {
      blocks.push({
        type: 'context',
        elements: [md(t('homeMore', { count: model.roster.length - shown.length }))],
      });
    }
    if (model.viewer.isAdmin) {
      blocks.push({
        type: 'actions',
        block_id: 'roster_add',
        elements: [
          {
            type: 'users_select',
            action_id: ACTION_ROSTER_ADD,
            placeholder: plain(t('homeRosterAdd'), LIMITS.placeholder),
          },
          // The rows stop at HOME_LIMITS.roster: anyone further down is removed from here.
          ...(model.roster.length > shown.length
            ? [
                {
                  type: 'users_select' as const,
                  action_id: ACTION_ROSTER_REMOVE,
                  placeholder: plain(t('homeRosterRemovePick'), LIMITS.placeholder),
                },
              ]
            : []),
        ],
      });
    }
  }
  if (model.requestTypes && model.viewer.isAdmin) blocks.push(...requestTypeSection(model.requestTypes, t));
  // The email choices come last but are never cut: the rest makes room for them under the limit.
  const emails = model.emails ? emailSection(model.emails, t) : [];
  return { type: 'home', blocks: [...blocks.slice(0, LIMITS.viewBlocks - emails.length), ...emails] };
}
