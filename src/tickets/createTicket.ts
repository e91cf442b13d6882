import { setTimeout as sleep } from 'node:timers/promises';
import type { Transaction } from 'sequelize';
import { CommitOutcomeUnknown, runInTransaction } from '../db/transaction.js';
import { autoAssignNewTicket } from './autoAssign.js';
import { runAfterCommit } from './change.js';
import type { InTransactionHook, TicketChange, TicketContext } from './context.js';
import { ValidationFailed } from './errors.js';
import { typeForNewTicket } from './requestTypes.js';
import { newTicketClocks } from './sla.js';
import { insertEvent, insertTicket, isOnRoster, ticketIdBySubmissionKey } from './statements.js';
import { ensureActorRow } from './users.js';
import { parseOrFail, submissionKeySchema, type TicketInput, ticketInputSchema } from './validation.js';

export interface CreateTicketProps extends TicketInput {
  /**
   * Who the ticket is for, when not the person opening it: the author of a message someone else
   * turned into a ticket (a reaction). The history records the actor as the one who opened it.
   */
  requesterId?: string;
  /** The Slack message a ticket is made from (message shortcut, reaction). */
  source?: { channelId: string; messageTs: string; permalink?: string | null };
  /**
   * The idempotency key of what the ticket is submitted from (a form, a modal). Submitting with
   * the same key again opens no second ticket: AlreadySubmitted names the first.
   */
  submissionKey?: string;
  /** Its request type (src/tickets/requestTypes.ts), if any, and the answers to its fields by field id. */
  requestTypeId?: number | null;
  fields?: Record<string, string | null | undefined>;
  /** The type's fields were not asked (a reaction): required ones may stay empty. */
  fieldsUnasked?: boolean;
  /**
   * What the caller records about the new ticket in its own transaction, after the services'
   * hooks (what it owes the ticket, say), so the ticket and that record commit or fail together.
   */
  inTransaction?: InTransactionHook;
}

/** The same submission (its key) was made before: its ticket exists already. */
export class AlreadySubmitted extends Error {
  /**
   * @param afterUnknownCommit this very submission stored it: its COMMIT's answer was lost
   * (CommitOutcomeUnknown) and the ticket was found by its key afterwards. Nobody else is
   * delivering what it owes then, so the caller may deliver it at once.
   */
  constructor(
    readonly ticketId: number,
    readonly afterUnknownCommit = false,
  ) {
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
export async function createTicket(ctx: TicketContext, props: CreateTicketProps): Promise<TicketChange> {
  const input = parseOrFail(ticketInputSchema, props);
  parseOrFail(submissionKeySchema, props);
  const { db } = ctx;
  const changes = await runInTransaction(db, (transaction) =>
    storeNewTicket(ctx, input, props, transaction),
  ).catch(async (error: unknown) => {
    // The unique index on submission_key refused a second ticket from the same submission (or
    // another failure): if that submission's ticket exists, this one was a repeat.
    if (props.submissionKey && !(error instanceof ValidationFailed)) {
      const unknown = error instanceof CommitOutcomeUnknown;
      // After a lost COMMIT the database is often failing over: the answer is worth waiting for,
      // or the person is told it failed while their ticket is stored.
      const first = unknown
        ? await lookUpAfterLostCommit(db, props.submissionKey, error)
        : await ticketIdBySubmissionKey(db, props.submissionKey);
      if (first !== undefined) throw new AlreadySubmitted(first, unknown);
    }
    throw error;
  });
  // The ticket's creation, then its automatic assignment (if any), as two changes would be.
  for (const each of changes) await runAfterCommit(ctx, each);
  return changes[0]!;
}

/**
 * The submission's ticket, looked up after its COMMIT's answer was lost: tried for a few
 * seconds on fresh connections (the next node, once the load balancer notices the old one is
 * gone). When the database cannot be asked at all, the outcome stays unknown: `lost` is thrown.
 */
async function lookUpAfterLostCommit(
  db: TicketContext['db'],
  key: string,
  lost: CommitOutcomeUnknown,
): Promise<number | undefined> {
  for (let attempt = 1; attempt <= LOOKUP_ATTEMPTS; attempt++) {
    try {
      return await ticketIdBySubmissionKey(db, key);
    } catch {
      if (attempt < LOOKUP_ATTEMPTS) await sleep(250 * attempt);
    }
  }
  throw lost;
}

const LOOKUP_ATTEMPTS = 10;

async function storeNewTicket(
  ctx: TicketContext,
  input: ReturnType<typeof ticketInputSchema.parse>,
  props: CreateTicketProps,
  transaction: Transaction,
): Promise<TicketChange[]> {
  const { db } = ctx;
  await ensureActorRow(db, ctx.actorId, transaction);
  const requesterId = props.requesterId ?? ctx.actorId;
  if (requesterId !== ctx.actorId) await ensureActorRow(db, requesterId, transaction);
  const technicianId = input.technicianId ?? null;
  if (technicianId && !(await isOnRoster(db, transaction, technicianId))) {
    throw new ValidationFailed({ technicianId: 'Pick someone from the technician roster' });
  }
  const typed = await typeForNewTicket(db, transaction, props.requestTypeId, props.fields, {
    unasked: props.fieldsUnasked,
  });
  const now = new Date();
  // Nobody chose a priority: the type's default.
  const priority = props.priority === undefined && typed ? typed.type.defaultPriority : input.priority;
  const values = {
    title: input.title,
    description: input.description,
    priority,
    requestTypeId: typed?.type.id ?? null,
    requestFields: typed ? JSON.stringify(typed.fields) : null,
    status: 'open' as const,
    requesterId,
    technicianId,
    submissionKey: props.submissionKey ?? null,
    sourceChannelId: props.source?.channelId ?? null,
    sourceMessageTs: props.source?.messageTs ?? null,
    sourcePermalink: props.source?.permalink ?? null,
    version: 1,
    resolution: 0,
    lastActivityAt: now,
    closedAt: null,
    ...newTicketClocks(ctx.sla, priority, now, typed?.type.slaTargets),
    createdAt: now,
    updatedAt: now,
  };
  const ticket = await insertTicket(db, transaction, values);
  const event = await insertEvent(db, transaction, {
    ticketId: ticket.id,
    actorId: ctx.actorId,
    type: 'created',
    fromValue: null,
    toValue: technicianId,
    version: ticket.version,
    createdAt: now,
  });
  const change: TicketChange = { event, ticket };
  for (const hook of ctx.hooks.inTransaction) await hook(change, transaction);
  // Nobody named and a type with an assignment rule: ticketbot picks (src/tickets/autoAssign.ts),
  // recorded as a second event the hooks join like any assignment (the technician's email and
  // DM). Here, after the creation's own hooks (they saw the ticket unassigned, so the creation
  // does not email the technician as well) and before the caller's: the type's row stays locked
  // for as short a time as the transaction allows.
  const assignment = await autoAssignNewTicket(db, transaction, ticket);
  if (assignment) {
    change.autoAssignment = assignment.event;
    for (const hook of ctx.hooks.inTransaction) await hook(assignment, transaction);
  }
  if (props.inTransaction) await props.inTransaction(change, transaction);
  return assignment ? [change, assignment] : [change];
}
