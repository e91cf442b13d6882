// Every callback_id, action_id and block_id Slack sends back to us, in one place, so that
// manifest.yml, the blocks and the listeners can be grepped against each other.

export const COMMAND_TICKET = '/ticket';
export const SHORTCUT_CREATE_TICKET = 'create_ticket_from_message';

export const VIEW_NEW_TICKET = 'new_ticket';
export const VIEW_ADD_COMMENT = 'add_comment';
export const VIEW_NOTICE = 'notice';

export const NEW_TICKET_FIELDS = {
  title: { block: 'title', action: 'title' },
  description: { block: 'description', action: 'description' },
  technician: { block: 'technician', action: 'technician' },
  priority: { block: 'priority', action: 'priority' },
  /** The request type select (dispatch_action: a change redraws the modal with that type's fields). */
  requestType: { block: 'request_type', action: 'request_type' },
} as const;
/** A request type's extra field in the new-ticket modal: block `field_<id>`, this action. */
export const REQUEST_FIELD_ACTION = 'value';

export const COMMENT_FIELD = { block: 'comment', action: 'comment' } as const;

export const ACTION_ASSIGN = 'ticket_assign';
export const ACTION_UNASSIGN = 'ticket_unassign';
export const ACTION_START = 'ticket_start';
export const ACTION_CLOSE = 'ticket_close';
export const ACTION_REOPEN = 'ticket_reopen';
export const ACTION_COMMENT = 'ticket_comment';
/** The card's request type select (its selected_option value: the type's id). */
export const ACTION_TYPE = 'ticket_type';
/** The card's priority select (its selected_option value: one of PRIORITIES). */
export const ACTION_PRIORITY = 'ticket_priority';
export const ACTION_RATE = /^ticket_rate_[1-5]$/;
export const rateActionId = (score: number) => `ticket_rate_${score}`;
/** "Add a remark" on the thank-you; its value is `<ticket id>:<resolution>:<score>`. */
export const ACTION_RATING_REMARK = 'ticket_rate_remark';
export const VIEW_RATING_REMARK = 'rating_remark';
/** The remark field of the rating remark modal. */
export const RATING_REMARK = { block: 'rating_remark', action: 'rating_remark' } as const;

export const ACTION_HOME_NEW_TICKET = 'home_new_ticket';
/** App Home: edit a request type (value: its id) or add one (value `new`); admins only. */
export const ACTION_REQUEST_TYPE_EDIT = 'request_type_edit';
/** App Home: a technician sets themselves Away or Available (value `away` or `available`). */
export const ACTION_AVAILABILITY = 'availability';
/** The App Home's checkboxes of the emails a person gets (src/slack/listeners/actions/emailPreferences.ts). */
export const ACTION_EMAIL_PREFERENCES = 'email_preferences';
export const VIEW_REQUEST_TYPE = 'request_type';
/** The request type modal's blocks (one action each, named like its block). */
export const REQUEST_TYPE_BLOCKS = {
  name: 'rt_name',
  description: 'rt_description',
  priority: 'rt_priority',
  technicians: 'rt_technicians',
  channel: 'rt_channel',
  privateChannel: 'rt_private_channel',
  assignment: 'rt_assignment',
  flags: 'rt_flags',
} as const;
/** The blocks of the request type modal's field slot `slot` (0–4). */
export const requestTypeFieldBlocks = (slot: number) =>
  ({
    label: `rt_field_${slot}_label`,
    kind: `rt_field_${slot}_kind`,
    options: `rt_field_${slot}_options`,
  }) as const;
/** The block of the request type modal's own target for `priority` (rt_sla_urgent …). */
export const requestTypeTargetBlock = (priority: string) => `rt_sla_${priority}`;
export const ACTION_ROSTER_ADD = 'roster_add';
export const ACTION_ROSTER_REMOVE = 'roster_remove';

/**
 * The actions block of a ticket carries the ticket and the version it shows, so a click on
 * an out-of-date card is refused (Conflict) instead of acting on a state nobody saw.
 */
export function ticketActionsBlockId(ticketId: number, version: number, place?: string): string {
  // `place` keeps block ids unique when one ticket shows twice in a view (mine and assigned to me).
  return `ticket_actions:${ticketId}:${version}${place ? `:${place}` : ''}`;
}

export function parseTicketActionsBlockId(
  blockId: string | undefined,
): { ticketId: number; version: number } | undefined {
  const match = /^ticket_actions:(\d+):(\d+)(?::[a-z]+)?$/.exec(blockId ?? '');
  if (!match) return undefined;
  return { ticketId: Number(match[1]), version: Number(match[2]) };
}

/**
 * The message metadata event type on every ticket card (payload `{ticket_id}`): a card whose
 * posting ticketbot is unsure of is found again in its channel's history by it.
 */
export const CARD_EVENT_TYPE = 'ticket_card';
/** The metadata event_type of ticketbot's reply in the thread of a message a reaction made a ticket of. */
export const INTAKE_EVENT_TYPE = 'ticket_intake_reply';
