import { type ChangeRequest, changeTicket } from './change.js';
import type { TicketChange, TicketContext } from './context.js';
import { InvalidTransition, NotAllowed, ValidationFailed } from './errors.js';
import { ensureUsers, isStaff } from './users.js';

export interface AssignTicketProps extends ChangeRequest {
  /** The technician to assign, or null to unassign. */
  technicianId: string | null;
}

/**
 * Technicians and admins assign, reassign and unassign; only roster members can be assigned.
 * Unassigning leaves the status alone: a ticket may be in progress with nobody named (Start
 * needs no technician), and a status change here would be a second event the requester is not told of.
 */
export async function assignTicket(ctx: TicketContext, props: AssignTicketProps): Promise<TicketChange> {
  return changeTicket(ctx, props, async (ticket, actor, transaction) => {
    if (!isStaff(actor)) throw new NotAllowed('Only technicians and admins assign tickets', 'not_technician');
    if (ticket.status === 'closed') {
      throw new InvalidTransition(`Ticket #${ticket.id} is closed; reopen it first`, 'ticket_closed', ticket);
    }
    if (props.technicianId === null && ticket.technicianId === null) {
      throw new InvalidTransition(`Ticket #${ticket.id} has no technician`, 'not_assigned', ticket);
    }
    if (ticket.technicianId === props.technicianId) {
      throw new InvalidTransition(
        `Ticket #${ticket.id} is already assigned that way`,
        'already_assigned',
        ticket,
      );
    }
    if (props.technicianId !== null) {
      await ensureUsers(ctx.db, [props.technicianId], transaction);
      const technician = await ctx.db.models.User.findByPk(props.technicianId, { transaction });
      if (!technician?.isTechnician) {
        throw new ValidationFailed({ technicianId: 'Pick someone from the technician roster' });
      }
    }
    const from = ticket.technicianId;
    ticket.technicianId = props.technicianId;
    return { type: props.technicianId === null ? 'unassigned' : 'assigned', from, to: props.technicianId };
  });
}
