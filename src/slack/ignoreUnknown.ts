import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import {
  ACTION_ASSIGN,
  ACTION_AVAILABILITY,
  ACTION_CLOSE,
  ACTION_COMMENT,
  ACTION_EMAIL_PREFERENCES,
  ACTION_HOME_NEW_TICKET,
  ACTION_PRIORITY,
  ACTION_RATE,
  ACTION_RATING_REMARK,
  ACTION_REOPEN,
  ACTION_REQUEST_TYPE_EDIT,
  ACTION_ROSTER_ADD,
  ACTION_ROSTER_REMOVE,
  ACTION_START,
  ACTION_TYPE,
  ACTION_UNASSIGN,
  COMMAND_TICKET,
  NEW_TICKET_FIELDS,
  SHORTCUT_CREATE_TICKET,
  VIEW_ADD_COMMENT,
  VIEW_NEW_TICKET,
  VIEW_RATING_REMARK,
  VIEW_REQUEST_TYPE,
} from './blocks/ids.js';

const ACTIONS = new Set([
  ACTION_ASSIGN,
  ACTION_UNASSIGN,
  ACTION_START,
  ACTION_CLOSE,
  ACTION_REOPEN,
  ACTION_COMMENT,
  ACTION_TYPE,
  ACTION_PRIORITY,
  ACTION_HOME_NEW_TICKET,
  ACTION_ROSTER_ADD,
  ACTION_ROSTER_REMOVE,
  ACTION_RATING_REMARK,
  NEW_TICKET_FIELDS.requestType.action,
  ACTION_REQUEST_TYPE_EDIT,
  ACTION_AVAILABILITY,
  ACTION_EMAIL_PREFERENCES,
]);
const VIEWS = new Set([VIEW_NEW_TICKET, VIEW_ADD_COMMENT, VIEW_RATING_REMARK, VIEW_REQUEST_TYPE]);

type Body = {
  type?: string;
  command?: string;
  callback_id?: string;
  view?: { callback_id?: string };
  actions?: Array<{ action_id?: string }>;
};

function isOurs(body: Body): boolean {
  if (body.command !== undefined) return body.command === COMMAND_TICKET;
  switch (body.type) {
    case 'block_actions':
      return (body.actions ?? []).some(
        (a) => ACTIONS.has(a.action_id ?? '') || ACTION_RATE.test(a.action_id ?? ''),
      );
    case 'view_submission':
      return VIEWS.has(body.view?.callback_id ?? '');
    case 'message_action':
    case 'shortcut':
      return body.callback_id === SHORTCUT_CREATE_TICKET;
    default:
      return true;
  }
}

/**
 * Acknowledges at once what ticketbot has no listener for (another app's command, a callback
 * id it never created, view_closed), instead of letting Bolt answer 404 after 3 seconds.
 */
export const ignoreUnknown: Middleware<AnyMiddlewareArgs> = async (args) => {
  const { body, next } = args;
  const ack = (args as { ack?: (response?: unknown) => Promise<void> }).ack;
  if (ack && (!isOurs(body as Body) || (body as Body).type === 'view_closed')) {
    await ack();
    return;
  }
  await next();
};
