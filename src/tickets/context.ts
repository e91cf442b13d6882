import type { Transaction } from 'sequelize';
import type { Database } from '../db/index.js';
import type { Comment } from '../db/models/comment.js';
import type { Rating } from '../db/models/rating.js';
import type { Status, Ticket } from '../db/models/ticket.js';
import type { TicketEvent } from '../db/models/ticketEvent.js';
import type { Logger } from '../logger.js';
import type { SlaPolicy } from '../sla/policy.js';

/** What a ticket change looked like, handed to the hooks. */
export interface TicketChange {
  event: TicketEvent;
  ticket: Ticket;
  /** The ticket's status and technician before the change (absent for `created`). */
  before?: { status: Status; technicianId: string | null };
  comment?: Comment;
  rating?: Rating;
  /**
   * createTicket: the `assigned` event ticketbot recorded with the ticket under its type's rule
   * (src/tickets/autoAssign.ts); `ticket` is then the ticket as assigned (version 2).
   */
  autoAssignment?: TicketEvent;
}

export type InTransactionHook = (change: TicketChange, transaction: Transaction) => Promise<void>;
export type AfterCommitHook = (change: TicketChange) => void | Promise<void>;

/**
 * Where other parts join a ticket change. `inTransaction` hooks write in the change's own
 * transaction (the email outbox rows), so a change and its notifications commit or fail together.
 * `afterCommit` hooks react once it is durable (update the Slack card, wake the mail drain);
 * their failures are logged and never undo the change.
 */
export interface TicketHooks {
  inTransaction: InTransactionHook[];
  afterCommit: AfterCommitHook[];
}

export function createTicketHooks(): TicketHooks {
  return { inTransaction: [], afterCommit: [] };
}

/** What the ticket rules need, built once by the composition root. */
export interface TicketServices {
  db: Database;
  hooks: TicketHooks;
  logger: Logger;
  /** Service-level targets the changes keep clocks for (src/tickets/sla.ts); undefined: none. */
  sla?: SlaPolicy;
}

/** A ticket action's context: the services plus who is acting (a Slack user id). */
export interface TicketContext extends TicketServices {
  actorId: string;
}

export function asActor(services: TicketServices, actorId: string): TicketContext {
  return { ...services, actorId };
}
