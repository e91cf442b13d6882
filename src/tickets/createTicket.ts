import type { Transaction } from 'sequelize';
import type { Ticket } from '../db/models/ticket.js';
import { sqlRead, sqlReadOnce, sqlWrite } from '../db/sql.js';
import { runAfterCommit } from './change.js';
import type { InTransactionHook, TicketChange, TicketContext } from './context.js';
import { ValidationFailed } from './errors.js';
import { runInTransaction } from './transaction.js';
import { ensureActorRow } from './users.js';
import { parseOrFail, submissionKeySchema, type TicketInput, ticketInputSchema } from './validation.js';

export interface CreateTicketProps extends TicketInput {
  /** The Slack message a ticket is made from (message shortcut). */
  source?: { channelId: string; messageTs: string; permalink?: string | null };
  /**
   * The idempotency key of what the ticket is submitted from (a form, a modal). Submitting with
   * the same key again opens no second ticket: AlreadySubmitted names the first.
   */
  submissionKey?: string;
  /**
   * What the caller records about the new ticket in its own transaction, after the services'
   * hooks (what it owes the ticket, say), so the ticket and that record commit or fail together.
   */
  inTransaction?: InTransactionHook;
}

/** The same submission (its key) was made before: its ticket exists already. */
export class AlreadySubmitted extends Error {
  constructor(readonly ticketId: number) {
    super(`This was submitted already: ticket #${ticketId}`);
    this.name = 'AlreadySubmitted';
  }
}

/**
 * Anyone may open a ticket; a technician named at creation must be on the roster.
 *
 * Slack waits for this (a modal submission is acknowledged once the ticket is stored), so its
 * statements go through the driver (src/db/sql.ts) rather than the models: the same rows, a
 * fraction of the CPU.
 */
export async function createTicket(ctx: TicketContext, props: CreateTicketProps): Promise<Ticket> {
  return (await openTicket(ctx, props)).ticket;
}

/** createTicket, returning the whole change (the ticket and its `created` event). */
export async function openTicket(ctx: TicketContext, props: CreateTicketProps): Promise<TicketChange> {
  const input = parseOrFail(ticketInputSchema, props);
  parseOrFail(submissionKeySchema, props);
  const { db } = ctx;
  const change = await runInTransaction(db, (transaction) =>
    insertTicket(ctx, input, props, transaction),
  ).catch(async (error: unknown) => {
    // The unique index on submission_key refused a second ticket from the same submission (or
    // another failure): if that submission's ticket exists, this one was a repeat.
    if (props.submissionKey && !(error instanceof ValidationFailed)) {
      const [first] = await sqlReadOnce<{ id: number }>(
        db,
        'SELECT id FROM tickets WHERE submission_key = ?',
        [props.submissionKey],
      );
      if (first) throw new AlreadySubmitted(Number(first.id));
    }
    throw error;
  });
  await runAfterCommit(ctx, change);
  return change;
}

async function insertTicket(
  ctx: TicketContext,
  input: ReturnType<typeof ticketInputSchema.parse>,
  props: CreateTicketProps,
  transaction: Transaction,
): Promise<TicketChange> {
  const { db } = ctx;
  await ensureActorRow(db, ctx.actorId, transaction);
  const technicianId = input.technicianId ?? null;
  if (technicianId) {
    const [row] = await sqlRead<{ isTechnician: number | boolean }>(
      db,
      transaction,
      'SELECT is_technician AS isTechnician FROM users WHERE id = ?',
      [technicianId],
    );
    if (!row?.isTechnician) {
      throw new ValidationFailed({ technicianId: 'Pick someone from the technician roster' });
    }
  }
  const now = new Date();
  const values = {
    title: input.title,
    description: input.description,
    priority: input.priority,
    status: 'open' as const,
    requesterId: ctx.actorId,
    technicianId,
    submissionKey: props.submissionKey ?? null,
    sourceChannelId: props.source?.channelId ?? null,
    sourceMessageTs: props.source?.messageTs ?? null,
    sourcePermalink: props.source?.permalink ?? null,
    version: 1,
    resolution: 0,
    lastActivityAt: now,
    closedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  const inserted = await sqlWrite(
    db,
    transaction,
    `INSERT INTO tickets (title, description, priority, status, requester_id, technician_id,
       submission_key, source_channel_id, source_message_ts, source_permalink, version,
       resolution, last_activity_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      values.title,
      values.description,
      values.priority,
      values.status,
      values.requesterId,
      values.technicianId,
      values.submissionKey,
      values.sourceChannelId,
      values.sourceMessageTs,
      values.sourcePermalink,
      values.version,
      values.resolution,
      now,
      now,
      now,
    ],
  );
  const ticket = db.models.Ticket.build(
    { id: inserted.insertId, ...values },
    { isNewRecord: false, raw: true },
  );
  const eventValues = {
    ticketId: ticket.id,
    actorId: ctx.actorId,
    type: 'created' as const,
    fromValue: null,
    toValue: technicianId,
    version: ticket.version,
    createdAt: now,
  };
  const recorded = await sqlWrite(
    db,
    transaction,
    `INSERT INTO ticket_events (ticket_id, actor_id, type, from_value, to_value, version, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [ticket.id, ctx.actorId, 'created', null, technicianId, ticket.version, now],
  );
  const event = db.models.TicketEvent.build(
    { id: recorded.insertId, ...eventValues },
    { isNewRecord: false, raw: true },
  );
  const change: TicketChange = { event, ticket };
  for (const hook of ctx.hooks.inTransaction) await hook(change, transaction);
  if (props.inTransaction) await props.inTransaction(change, transaction);
  return change;
}
