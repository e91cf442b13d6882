import { z } from 'zod';
import type { Rating } from '../db/models/rating.js';
import { type ChangeRequest, changeTicket } from './change.js';
import type { TicketChange, TicketContext } from './context.js';
import { InvalidTransition, NotAllowed, NotFound } from './errors.js';
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

const remarkSchema = z.object({
  remark: z
    .string()
    .trim()
    .min(1, 'Write a remark')
    .max(REMARK_MAX, `Keep the remark to ${REMARK_MAX} characters`),
});

/** Thrown inside the transaction when the rating already holds this remark, to leave everything as it was. */
class AlreadyRemarked extends Error {
  constructor(readonly rating: Rating) {
    super('remark already stored');
  }
}

export interface AddRatingRemarkProps {
  ticketId: number;
  /** Which closing's rating the remark belongs to. */
  resolution: number;
  remark: string;
}

export interface AddRatingRemarkResult {
  rating: Rating;
  /** False when the rating already held this very remark (the modal submitted twice): nothing changed. */
  added: boolean;
  change?: TicketChange;
}

/**
 * The requester adds a remark to their rating of one closing, once. The score is stored the moment
 * it is clicked; the remark comes after, from a modal. The same remark again changes nothing; a
 * different one is refused, as a second score is.
 */
export async function addRatingRemark(
  ctx: TicketContext,
  props: AddRatingRemarkProps,
): Promise<AddRatingRemarkResult> {
  const { remark } = parseOrFail(remarkSchema, props);
  try {
    const change = await changeTicket(
      ctx,
      { ticketId: props.ticketId },
      async (ticket, actor, transaction) => {
        // Under the ticket's row lock, so two submissions of one modal cannot both get past here.
        const rating = await ctx.db.models.Rating.findOne({
          where: { ticketId: ticket.id, resolution: props.resolution },
          transaction,
        });
        if (!rating)
          throw new NotFound(`Ticket #${ticket.id} is not rated for that closing`, 'rating_not_found');
        if (rating.requesterId !== actor.id)
          throw new NotAllowed('Only the requester adds a remark to their rating', 'not_rating_requester');
        if (rating.remark !== null) {
          if (rating.remark === remark) throw new AlreadyRemarked(rating);
          throw new InvalidTransition('This rating already has a remark', 'remark_already_added', ticket);
        }
        rating.remark = remark;
        await rating.save({ transaction });
        return { type: 'rating_remarked', to: String(rating.score), rating };
      },
    );
    return { rating: change.rating!, added: true, change };
  } catch (error) {
    if (error instanceof AlreadyRemarked) return { rating: error.rating, added: false };
    throw error;
  }
}
