import { z } from 'zod';
import { type ChangeRequest, changeTicket } from './change.js';
import type { TicketChange, TicketContext } from './context.js';
import { InvalidTransition, NotAllowed } from './errors.js';
import { parseOrFail, REMARK_MAX } from './validation.js';

const ratingSchema = z.object({
  score: z
    .number()
    .int('A score is a whole number')
    .min(1, 'Scores go from 1 to 5')
    .max(5, 'Scores go from 1 to 5'),
  remark: z
    .string()
    .trim()
    .max(REMARK_MAX, `Keep the remark to ${REMARK_MAX} characters`)
    .nullish()
    .transform((value) => value || null),
});

export interface RateTicketProps extends ChangeRequest {
  score: number;
  remark?: string | null;
  /** The resolution the rating prompt was sent for; a reopened or re-closed ticket voids old prompts. */
  resolution?: number;
}

/** Only the requester rates, only a closed ticket with a technician, once per resolution, never their own work. */
export async function rateTicket(ctx: TicketContext, props: RateTicketProps): Promise<TicketChange> {
  const input = parseOrFail(ratingSchema, props);
  return changeTicket(ctx, props, async (ticket, actor, transaction) => {
    if (ticket.requesterId !== actor.id)
      throw new NotAllowed('Only the requester rates a ticket', 'not_requester');
    if (ticket.status !== 'closed') {
      throw new InvalidTransition(`Ticket #${ticket.id} is not closed`, 'rate_not_closed', ticket);
    }
    if (props.resolution !== undefined && props.resolution !== ticket.resolution) {
      throw new InvalidTransition('This rating request is out of date', 'rating_expired', ticket);
    }
    if (!ticket.technicianId) {
      throw new InvalidTransition(`Ticket #${ticket.id} has no technician to rate`, 'no_technician', ticket);
    }
    if (ticket.technicianId === actor.id) {
      throw new NotAllowed('Nobody rates their own work', 'self_rating');
    }
    const already = await ctx.db.models.Rating.findOne({
      where: { ticketId: ticket.id, resolution: ticket.resolution },
      transaction,
    });
    if (already) throw new InvalidTransition('This resolution is already rated', 'already_rated', ticket);
    const rating = await ctx.db.models.Rating.create(
      {
        ticketId: ticket.id,
        resolution: ticket.resolution,
        requesterId: actor.id,
        technicianId: ticket.technicianId,
        score: input.score,
        remark: input.remark,
      },
      { transaction },
    );
    return { type: 'rated', to: String(input.score), rating };
  });
}
