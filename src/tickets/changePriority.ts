import { PRIORITIES, type Priority } from '../db/models/ticket.js';
import { type ChangeRequest, changeTicket } from './change.js';
import type { TicketChange, TicketContext } from './context.js';
import { InvalidTransition, NotAllowed, ValidationFailed } from './errors.js';
import { isStaff } from './users.js';

export interface ChangePriorityProps extends ChangeRequest {
  priority: Priority;
}

/**
 * Technicians and admins change an open ticket's priority; its service-level due times follow
 * the new priority's targets (src/tickets/sla.ts, in the change's transaction).
 */
export async function changePriority(ctx: TicketContext, props: ChangePriorityProps): Promise<TicketChange> {
  if (!PRIORITIES.includes(props.priority)) throw new ValidationFailed({ priority: 'Pick a priority' });
  return changeTicket(ctx, props, async (ticket, actor) => {
    if (!isStaff(actor))
      throw new NotAllowed('Only technicians and admins change the priority', 'not_technician');
    if (ticket.status === 'closed')
      throw new InvalidTransition(`Ticket #${ticket.id} is closed; reopen it first`, 'ticket_closed', ticket);
    if (ticket.priority === props.priority)
      throw new InvalidTransition(
        `Ticket #${ticket.id} is ${props.priority} already`,
        'same_priority',
        ticket,
      );
    const from = ticket.priority;
    ticket.priority = props.priority;
    return { type: 'priority_changed', from, to: props.priority };
  });
}
