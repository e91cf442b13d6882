import type { Ticket } from '../db/models/ticket.js';
import { runAfterCommit } from './change.js';
import type { TicketChange, TicketContext } from './context.js';
import { ValidationFailed } from './errors.js';
import { runInTransaction } from './transaction.js';
import { ensureUsers, loadActor } from './users.js';
import { parseOrFail, type TicketInput, ticketInputSchema } from './validation.js';

export interface CreateTicketProps extends TicketInput {
  /** The Slack message a ticket is made from (message shortcut). */
  source?: { channelId: string; messageTs: string; permalink?: string | null };
}

/** Anyone may open a ticket; a technician named at creation must be on the roster. */
export async function createTicket(ctx: TicketContext, props: CreateTicketProps): Promise<Ticket> {
  const input = parseOrFail(ticketInputSchema, props);
  const change = await runInTransaction(ctx.db, async (transaction): Promise<TicketChange> => {
    const requester = await loadActor(ctx.db, ctx.actorId, transaction);
    if (input.technicianId) {
      await ensureUsers(ctx.db, [input.technicianId], transaction);
      const technician = await ctx.db.models.User.findByPk(input.technicianId, { transaction });
      if (!technician?.isTechnician) {
        throw new ValidationFailed({ technicianId: 'Pick someone from the technician roster' });
      }
    }
    const now = new Date();
    const ticket = await ctx.db.models.Ticket.create(
      {
        title: input.title,
        description: input.description,
        priority: input.priority,
        requesterId: requester.id,
        technicianId: input.technicianId ?? null,
        slackChannelId: null,
        slackMessageTs: null,
        sourceChannelId: props.source?.channelId ?? null,
        sourceMessageTs: props.source?.messageTs ?? null,
        sourcePermalink: props.source?.permalink ?? null,
        lastActivityAt: now,
        closedAt: null,
      },
      { transaction },
    );
    const event = await ctx.db.models.TicketEvent.create(
      {
        ticketId: ticket.id,
        actorId: requester.id,
        type: 'created',
        fromValue: null,
        toValue: ticket.technicianId,
        version: ticket.version,
        createdAt: now,
      },
      { transaction },
    );
    const change: TicketChange = { event, ticket };
    for (const hook of ctx.hooks.inTransaction) await hook(change, transaction);
    return change;
  });
  await runAfterCommit(ctx, change);
  return change.ticket;
}
