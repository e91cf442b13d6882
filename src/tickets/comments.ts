import { z } from 'zod';
import type { Comment } from '../db/models/comment.js';
import { changeTicket } from './change.js';
import type { TicketChange, TicketContext } from './context.js';
import { InvalidTransition, NotAllowed, NotFound } from './errors.js';
import { isStaff } from './users.js';
import { COMMENT_MAX, parseOrFail } from './validation.js';

const bodySchema = z.object({
  body: z
    .string()
    .trim()
    .min(1, 'Write something')
    .max(COMMENT_MAX, `Keep comments to ${COMMENT_MAX} characters`),
});

/** Thrown inside the transaction when the comment is already stored, to leave everything as it was. */
class AlreadyRecorded extends Error {
  constructor(readonly comment: Comment) {
    super('comment already recorded');
  }
}

export interface AddCommentProps {
  ticketId: number;
  body: string;
  /** The Slack message (thread reply) this comment is; the same ts is stored once. */
  slackTs?: string | null;
}

export interface AddCommentResult {
  comment: Comment;
  /** False when the comment was already there (a Slack retry): nothing changed. */
  created: boolean;
  change?: TicketChange;
}

/** The requester comments on their own ticket; technicians and admins on any. */
export async function addComment(ctx: TicketContext, props: AddCommentProps): Promise<AddCommentResult> {
  const { body } = parseOrFail(bodySchema, props);
  const slackTs = props.slackTs ?? null;
  try {
    const change = await changeTicket(
      ctx,
      { ticketId: props.ticketId },
      async (ticket, actor, transaction) => {
        if (slackTs) {
          // Under the ticket's row lock, so two deliveries of one Slack event cannot both get here.
          const existing = await ctx.db.models.Comment.findOne({
            where: { ticketId: ticket.id, slackTs },
            transaction,
          });
          if (existing) throw new AlreadyRecorded(existing);
        }
        if (!isStaff(actor) && ticket.requesterId !== actor.id) {
          throw new NotAllowed(
            'Only the requester and technicians comment on a ticket',
            'not_allowed_comment',
          );
        }
        const comment = await ctx.db.models.Comment.create(
          { ticketId: ticket.id, authorId: actor.id, body, slackTs, editedAt: null, deletedAt: null },
          { transaction },
        );
        return { type: 'commented', to: String(comment.id), comment };
      },
    );
    return { comment: change.comment!, created: true, change };
  } catch (error) {
    if (error instanceof AlreadyRecorded) return { comment: error.comment, created: false };
    throw error;
  }
}

export interface EditCommentProps {
  ticketId: number;
  slackTs: string;
  /** The new text, or null when the message was deleted. */
  body: string | null;
}

/** A comment follows its Slack message: edited or deleted by its author (or an admin). */
export async function editComment(ctx: TicketContext, props: EditCommentProps): Promise<TicketChange> {
  const body = props.body === null ? null : parseOrFail(bodySchema, { body: props.body }).body;
  return changeTicket(ctx, { ticketId: props.ticketId }, async (ticket, actor, transaction) => {
    const comment = await ctx.db.models.Comment.findOne({
      where: { ticketId: ticket.id, slackTs: props.slackTs },
      transaction,
    });
    if (!comment || comment.deletedAt) throw new NotFound('No such comment', 'comment_not_found');
    if (comment.authorId !== actor.id && !actor.isAdmin) {
      throw new NotAllowed('Only the author changes a comment', 'not_comment_author');
    }
    // Slack also sends message_changed when it unfurls a link in a reply (same text), and may
    // retry an edit: neither is an edit to record.
    if (body !== null && body === comment.body) {
      throw new InvalidTransition('The comment already says that', 'comment_unchanged', ticket);
    }
    const now = new Date();
    if (body === null) {
      comment.deletedAt = now;
    } else {
      comment.body = body;
      comment.editedAt = now;
    }
    await comment.save({ transaction });
    return { type: body === null ? 'comment_deleted' : 'comment_edited', to: String(comment.id), comment };
  });
}
