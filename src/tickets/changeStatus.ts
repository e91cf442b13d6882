import type { Status } from '../db/models/ticket.js';
import { type ChangeRequest, changeTicket } from './change.js';
import type { TicketChange, TicketContext } from './context.js';
import { InvalidTransition, NotAllowed } from './errors.js';
import { isStaff } from './users.js';

/** The moves a ticket's status can make; reopening (closed → open) is its own action. */
const TRANSITIONS: Record<Status, Status[]> = {
  open: ['in_progress', 'closed'],
  in_progress: ['open', 'closed'],
  closed: [],
};

export function canTransition(from: Status, to: Status): boolean {
  return TRANSITIONS[from].includes(to);
}

export interface ChangeStatusProps extends ChangeRequest {
  status: Exclude<Status, never>;
}

/**
 * Technicians and admins move a ticket open → in_progress → closed (and back to open);
 * the requester may close their own ticket. Closing counts a new resolution to be rated.
 */
export async function changeStatus(ctx: TicketContext, props: ChangeStatusProps): Promise<TicketChange> {
  return changeTicket(ctx, props, async (ticket, actor) => {
    const isRequester = ticket.requesterId === actor.id;
    if (!isStaff(actor) && !(isRequester && props.status === 'closed')) {
      throw new NotAllowed(
        isRequester
          ? 'Requesters may only close their own ticket'
          : 'Only technicians and admins change status',
        isRequester ? 'requester_can_only_close' : 'not_technician',
      );
    }
    if (ticket.status === 'closed' && props.status === 'open') {
      throw new InvalidTransition('Use reopen for a closed ticket', 'use_reopen', ticket);
    }
    if (ticket.status === props.status) {
      throw new InvalidTransition(
        `Ticket #${ticket.id} is already ${props.status}`,
        `already_${props.status}`,
        ticket,
      );
    }
    if (!canTransition(ticket.status, props.status)) {
      throw new InvalidTransition(
        `A ${ticket.status} ticket cannot become ${props.status}`,
        'invalid_status',
        ticket,
      );
    }
    const from = ticket.status;
    ticket.status = props.status;
    if (props.status === 'closed') {
      ticket.closedAt = new Date();
      ticket.resolution += 1;
    }
    return { type: 'status_changed', from, to: props.status };
  });
}

/** Technicians, admins and the requester reopen a closed ticket; a pending rating no longer applies. */
export async function reopenTicket(ctx: TicketContext, props: ChangeRequest): Promise<TicketChange> {
  return changeTicket(ctx, props, async (ticket, actor) => {
    if (!isStaff(actor) && ticket.requesterId !== actor.id) {
      throw new NotAllowed(
        'Only technicians, admins and the requester reopen a ticket',
        'not_allowed_reopen',
      );
    }
    if (ticket.status !== 'closed') {
      throw new InvalidTransition(`Ticket #${ticket.id} is not closed`, 'not_closed', ticket);
    }
    ticket.status = 'open';
    ticket.closedAt = null;
    return { type: 'reopened', from: 'closed', to: 'open' };
  });
}
