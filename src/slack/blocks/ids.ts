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
} as const;

export const COMMENT_FIELD = { block: 'comment', action: 'comment' } as const;

export const ACTION_ASSIGN = 'ticket_assign';
export const ACTION_UNASSIGN = 'ticket_unassign';
export const ACTION_START = 'ticket_start';
export const ACTION_CLOSE = 'ticket_close';
export const ACTION_REOPEN = 'ticket_reopen';
export const ACTION_COMMENT = 'ticket_comment';
export const ACTION_RATE = /^ticket_rate_[1-5]$/;
export const rateActionId = (score: number) => `ticket_rate_${score}`;
/** "Add a remark" on the thank-you; its value is `<ticket id>:<resolution>:<score>`. */
export const ACTION_RATING_REMARK = 'ticket_rate_remark';
export const VIEW_RATING_REMARK = 'rating_remark';
/** The remark field of the rating remark modal. */
export const RATING_REMARK = { block: 'rating_remark', action: 'rating_remark' } as const;

export const ACTION_HOME_NEW_TICKET = 'home_new_ticket';
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
