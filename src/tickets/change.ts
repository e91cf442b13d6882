import type { Transaction } from 'sequelize';
import type { Comment } from '../db/models/comment.js';
import type { Rating } from '../db/models/rating.js';
import type { Ticket } from '../db/models/ticket.js';
import type { EventType } from '../db/models/ticketEvent.js';
import type { User } from '../db/models/user.js';
import { saveChanged } from '../db/sql.js';
import { runInTransaction } from '../db/transaction.js';
import type { TicketChange, TicketContext } from './context.js';
import { Conflict, NotFound } from './errors.js';
import { advanceClocks, derivesDueTimes, targetsOfType } from './sla.js';
import { insertEvent, readTicket } from './statements.js';
import { isStaff, loadActor } from './users.js';

/** What a rule decided: the event to record; the rule has already set the ticket's new fields. */
export interface Decision {
  type: EventType;
  from?: string | null;
  to?: string | null;
  comment?: Comment;
  rating?: Rating;
}

export interface ChangeRequest {
  ticketId: number;
  /** The version the caller saw (a card's button carries it); a newer ticket raises Conflict. */
  expectedVersion?: number;
}

/**
 * The one path every change to an existing ticket takes: lock the row, check the caller's
 * version, let the rule decide, then bump the version, record the event and let the hooks add
 * their rows, all in one transaction. Afterwards the after-commit hooks run.
 */
export async function changeTicket(
  ctx: TicketContext,
  request: ChangeRequest,
  decide: (ticket: Ticket, actor: User, transaction: Transaction) => Promise<Decision>,
): Promise<TicketChange> {
  const change = await runInTransaction(ctx.db, async (transaction) => {
    const actor = await loadActor(ctx.db, ctx.actorId, transaction);
    // Every button click comes through here, so the change's own statements go through the
    // driver (statements.ts, src/db/sql.ts).
    const ticket = await readTicket(ctx.db, request.ticketId, transaction);
    if (!ticket) throw new NotFound(`Ticket #${request.ticketId} does not exist`, 'ticket_not_found');
    if (request.expectedVersion !== undefined && ticket.version !== request.expectedVersion) {
      throw new Conflict(
        `Ticket #${ticket.id} changed meanwhile (version ${ticket.version}, caller saw ${request.expectedVersion})`,
        ticket,
      );
    }
    const before = { status: ticket.status, technicianId: ticket.technicianId };
    const priorityBefore = ticket.priority;
    const requestTypeBefore = ticket.requestTypeId ?? null;
    const decision = await decide(ticket, actor, transaction);
    const now = new Date();
    const clocked = { before: before.status, priorityBefore, requestTypeBefore };
    // The ticket's type is read only when its due times are derived again (a reopen, another
    // priority or type), for the type's own targets.
    const typeTargets = derivesDueTimes(ctx.sla, ticket, clocked)
      ? await targetsOfType(ctx.db, transaction, ticket.requestTypeId)
      : undefined;
    advanceClocks(ctx.sla, ticket, {
      ...clocked,
      type: decision.type,
      byResponder: isStaff(actor) && actor.id !== ticket.requesterId,
      typeTargets,
      now,
    });
    ticket.version += 1;
    ticket.lastActivityAt = now;
    await saveChanged(ctx.db, transaction, ticket);
    const event = await insertEvent(ctx.db, transaction, {
      ticketId: ticket.id,
      actorId: actor.id,
      type: decision.type,
      fromValue: decision.from ?? null,
      toValue: decision.to ?? null,
      version: ticket.version,
      createdAt: now,
    });
    const result: TicketChange = {
      event,
      ticket,
      before,
      comment: decision.comment,
      rating: decision.rating,
    };
    for (const hook of ctx.hooks.inTransaction) await hook(result, transaction);
    return result;
  });
  await runAfterCommit(ctx, change);
  return change;
}

export async function runAfterCommit(ctx: TicketContext, change: TicketChange): Promise<void> {
  for (const hook of ctx.hooks.afterCommit) {
    try {
      await hook(change);
    } catch (error) {
      // The change is committed; a failed reaction (a Slack outage, say) is reported, not undone.
      ctx.logger.error(
        { err: error, ticketId: change.ticket.id, event: change.event.type },
        'after-commit hook failed',
      );
    }
  }
}
