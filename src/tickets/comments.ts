import type { Transaction } from 'sequelize';
import { z } from 'zod';
import type { Comment } from '../db/models/comment.js';
import type { Ticket } from '../db/models/ticket.js';
import type { User } from '../db/models/user.js';
import { sqlReadOnce } from '../db/sql.js';
import { changeTicket } from './change.js';
import type { TicketChange, TicketContext } from './context.js';
import { isDomainError, NotAllowed } from './errors.js';
import { isStaff } from './users.js';
import { COMMENT_MAX, characterCount, parseOrFail, submissionKeySchema } from './validation.js';

const bodySchema = z.object({
  body: z
    .string()
    .trim()
    .min(1, 'Write something')
    .refine((body) => characterCount(body) <= COMMENT_MAX, `Keep comments to ${COMMENT_MAX} characters`),
});

/**
 * Thrown inside the transaction when there is nothing to write (the comment is stored already,
 * or the Slack message it follows is further along), to leave everything as it was.
 */
class NothingToDo extends Error {
  constructor(readonly comment: Comment | null) {
    super('nothing to change');
  }
}

export interface AddCommentProps {
  ticketId: number;
  body: string;
  /** The Slack message (thread reply) this comment is; the same ts is stored once. */
  slackTs?: string | null;
  /** The idempotency key of what it was submitted from (a form, a modal): the same key adds one comment. */
  submissionKey?: string | null;
}

export interface AddCommentResult {
  comment: Comment;
  /**
   * False when nothing changed: the comment was there already (a Slack retry, the modal
   * submitted again), or its message was deleted or edited before this delivery arrived.
   */
  created: boolean;
  change?: TicketChange;
}

/** The requester comments on their own ticket; technicians and admins on any. */
export async function addComment(ctx: TicketContext, props: AddCommentProps): Promise<AddCommentResult> {
  const { body } = parseOrFail(bodySchema, props);
  parseOrFail(submissionKeySchema, props);
  const slackTs = props.slackTs ?? null;
  const submissionKey = props.submissionKey ?? null;
  try {
    const change = await changeTicket(
      ctx,
      { ticketId: props.ticketId },
      async (ticket, actor, transaction) => {
        // Under the ticket's row lock, so two deliveries of one Slack event (or a reply and its
        // edit or deletion, handled by two replicas) cannot both get here.
        const existing =
          (slackTs && (await findBySlackTs(ctx, ticket, slackTs, transaction))) ||
          (submissionKey && (await ctx.db.models.Comment.findOne({ where: { submissionKey }, transaction })));
        if (existing) throw new NothingToDo(existing);
        mayComment(ticket, actor);
        const comment = await ctx.db.models.Comment.create(
          {
            ticketId: ticket.id,
            authorId: actor.id,
            body,
            slackTs,
            slackVersionTs: null,
            submissionKey,
            editedAt: null,
            deletedAt: null,
          },
          { transaction },
        );
        return { type: 'commented', to: String(comment.id), comment };
      },
    );
    return { comment: change.comment!, created: true, change };
  } catch (error) {
    if (error instanceof NothingToDo) return { comment: error.comment!, created: false };
    // A connection lost during COMMIT leaves it unknown whether the comment was stored; a
    // Slack message or a submission is stored once, so looking it up tells.
    if (!isDomainError(error) && (slackTs || submissionKey)) {
      const stored = await storedAlready(ctx, props.ticketId, slackTs, submissionKey).catch(() => null);
      if (stored) return { comment: stored, created: false };
    }
    throw error;
  }
}

export interface EditCommentProps {
  ticketId: number;
  /** The Slack message (thread reply) the comment is. */
  slackTs: string;
  /** Its text now. */
  body: string;
  /**
   * When this version of the message was written: Slack's `message.edited.ts`, or, for a change
   * Slack does not count as an edit (a link unfurled: no `edited`), the event's own ts.
   */
  versionTs: string;
  /** Whether Slack counts it as an edit (the message carries `edited`). */
  edited: boolean;
}

export interface EditCommentResult {
  /** False when nothing changed: a version already stored, an older one, a deleted message. */
  changed: boolean;
  change?: TicketChange;
}

/**
 * A comment follows its Slack message's edits, newest version last, whatever order they arrive
 * in: the comment keeps the time of the version it holds and takes only a later one. An edit
 * that arrives before the message itself (two replicas, the edit handled first) stores the
 * comment with the edited text; the message, arriving later, finds it there.
 */
export async function editComment(ctx: TicketContext, props: EditCommentProps): Promise<EditCommentResult> {
  const { body } = parseOrFail(bodySchema, { body: props.body });
  return changeUnlessNothingToDo(ctx, props.ticketId, async (ticket, actor, transaction) => {
    const comment = await findBySlackTs(ctx, ticket, props.slackTs, transaction);
    const now = new Date();
    if (!comment) {
      mayComment(ticket, actor);
      const created = await ctx.db.models.Comment.create(
        {
          ticketId: ticket.id,
          authorId: actor.id,
          body,
          slackTs: props.slackTs,
          slackVersionTs: props.versionTs,
          submissionKey: null,
          editedAt: props.edited ? now : null,
          deletedAt: null,
        },
        { transaction },
      );
      return { type: 'commented', to: String(created.id), comment: created };
    }
    if (comment.deletedAt) throw new NothingToDo(comment);
    mayChange(comment, actor);
    const stored = comment.slackVersionTs ?? comment.slackTs ?? props.slackTs;
    // An older version delivered late, a retried delivery, and a change that leaves the text
    // as it is (Slack unfurling a link sends message_changed too) are no edits.
    if (compareSlackTs(props.versionTs, stored) <= 0 || body === comment.body) throw new NothingToDo(comment);
    comment.body = body;
    comment.slackVersionTs = props.versionTs;
    comment.editedAt = now;
    await comment.save({ transaction });
    return { type: 'comment_edited', to: String(comment.id), comment };
  });
}

export interface DeleteCommentProps {
  ticketId: number;
  /** The Slack message (thread reply) that was deleted. */
  slackTs: string;
}

/**
 * A comment whose Slack message was deleted is deleted too, its text with it (it may be a
 * password pasted by mistake). A deletion that arrives before the message itself leaves a
 * deleted comment in its place, so the message, arriving later, stores nothing and emails no one.
 */
export async function deleteComment(
  ctx: TicketContext,
  props: DeleteCommentProps,
): Promise<EditCommentResult> {
  return changeUnlessNothingToDo(ctx, props.ticketId, async (ticket, actor, transaction) => {
    const now = new Date();
    const comment = await findBySlackTs(ctx, ticket, props.slackTs, transaction);
    if (!comment) {
      // Someone who may not comment here never had a comment to delete.
      if (!isStaff(actor) && ticket.requesterId !== actor.id) throw new NothingToDo(null);
      const placeholder = await ctx.db.models.Comment.create(
        {
          ticketId: ticket.id,
          authorId: actor.id,
          body: '',
          slackTs: props.slackTs,
          slackVersionTs: null,
          submissionKey: null,
          editedAt: null,
          deletedAt: now,
        },
        { transaction },
      );
      return { type: 'comment_deleted', to: String(placeholder.id), comment: placeholder };
    }
    if (comment.deletedAt) throw new NothingToDo(comment);
    mayChange(comment, actor);
    comment.body = '';
    comment.deletedAt = now;
    await comment.save({ transaction });
    return { type: 'comment_deleted', to: String(comment.id), comment };
  });
}

/** A change to a comment that may turn out to be none (NothingToDo): then nothing is recorded. */
async function changeUnlessNothingToDo(
  ctx: TicketContext,
  ticketId: number,
  decide: Parameters<typeof changeTicket>[2],
): Promise<EditCommentResult> {
  try {
    return { changed: true, change: await changeTicket(ctx, { ticketId }, decide) };
  } catch (error) {
    if (error instanceof NothingToDo) return { changed: false };
    throw error;
  }
}

/**
 * Orders Slack timestamps (`1626342137.008700`: seconds, then a sequence within the second) as
 * numbers: as strings, `999.1` would come after `1000.1`.
 */
export function compareSlackTs(a: string, b: string): number {
  const [aSeconds = '0', aRest = ''] = a.split('.');
  const [bSeconds = '0', bRest = ''] = b.split('.');
  const width = Math.max(aRest.length, bRest.length);
  return (
    Number(aSeconds) - Number(bSeconds) || Number(aRest.padEnd(width, '0')) - Number(bRest.padEnd(width, '0'))
  );
}

function mayComment(ticket: Ticket, actor: User): void {
  if (!isStaff(actor) && ticket.requesterId !== actor.id) {
    throw new NotAllowed('Only the requester and technicians comment on a ticket', 'not_allowed_comment');
  }
}

function mayChange(comment: Comment, actor: User): void {
  if (comment.authorId !== actor.id && !actor.isAdmin) {
    throw new NotAllowed('Only the author changes a comment', 'not_comment_author');
  }
}

function findBySlackTs(ctx: TicketContext, ticket: Ticket, slackTs: string, transaction: Transaction) {
  return ctx.db.models.Comment.findOne({ where: { ticketId: ticket.id, slackTs }, transaction });
}

async function storedAlready(
  ctx: TicketContext,
  ticketId: number,
  slackTs: string | null,
  submissionKey: string | null,
): Promise<Comment | null> {
  const [row] = await sqlReadOnce<{ id: number }>(
    ctx.db,
    'SELECT id FROM comments WHERE (ticket_id = ? AND slack_ts = ?) OR submission_key = ?',
    [ticketId, slackTs, submissionKey],
  );
  return row ? ctx.db.models.Comment.findByPk(Number(row.id)) : null;
}
