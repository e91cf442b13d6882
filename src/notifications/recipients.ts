import type { Transaction } from 'sequelize';
import type { Database } from '../db/index.js';
import { autoAssignRuleOf } from '../db/models/ticketEvent.js';
import { displayName, type User } from '../db/models/user.js';
import type { TicketChange } from '../tickets/index.js';
import { storedFieldsOf } from '../tickets/requestTypes.js';
import { usersById } from '../tickets/statements.js';
import type { Notification, NotificationData, TicketSnapshot } from './types.js';

/** One email to enqueue: to a Slack user (their profile email) or to a bare address (managers). */
export interface Draft {
  template: Notification;
  to: { userId: string } | { email: string };
  data: Omit<NotificationData, 'recipient' | 'timeZone'>;
}

/**
 * Who hears about a change. Nobody is emailed about their own action.
 * - created: the technician named at creation (as an assignment); managers when EMAIL_NEW_TICKET_TO_MANAGERS.
 * - assigned: the new technician.
 * - status_changed: the requester (ticket_closed when it became closed, with the rating nudge).
 * - reopened: the requester and the technician.
 * - commented: the requester and the technician, never the comment's author.
 * Unassignment, comment edits and deletions, and ratings send nothing.
 */
export function draftsFor(
  change: TicketChange,
  people: People,
  options: {
    managerEmails: string[];
    /** Told when a ticket misses a service-level target (MANAGER_EMAILS). */
    slaBreachRecipients?: string[];
    requestType?: TypeOfTicket | null;
    privateTicket?: boolean;
  },
): Draft[] {
  const { event, ticket } = change;
  const actorId = event.actorId;
  const snapshot = snapshotOf(change, people, options.requestType ?? null);
  // ticketbot itself (an assignment rule): named in the recipient's language when rendered.
  const rule = autoAssignRuleOf(actorId);
  const base = {
    ticket: snapshot,
    actor: rule ? { name: 'ticketbot', rule } : { name: people.name(actorId) },
  };
  const toUsers = (
    template: Notification,
    ids: Array<string | null | undefined>,
    extra: Partial<Draft['data']> = {},
  ) =>
    [...new Set(ids)]
      .filter((id): id is string => Boolean(id) && id !== actorId)
      .map((userId): Draft => ({ template, to: { userId }, data: { ...base, ...extra } }));

  switch (event.type) {
    case 'created':
      return [
        ...toUsers('ticket_assigned', [ticket.technicianId]),
        // A private request type's ticket: managers are told it exists, not its title or description.
        ...options.managerEmails.map(
          (email): Draft => ({
            template: 'ticket_created',
            to: { email },
            data: options.privateTicket ? { ...base, ticket: privateSnapshot(snapshot) } : base,
          }),
        ),
      ];
    case 'assigned':
      return toUsers('ticket_assigned', [event.toValue]);
    case 'status_changed': {
      const statusChange = { from: event.fromValue ?? '', to: event.toValue ?? '', reopened: false };
      const template = event.toValue === 'closed' ? 'ticket_closed' : 'ticket_status_changed';
      return toUsers(template, [ticket.requesterId], { change: statusChange });
    }
    case 'reopened':
      return toUsers('ticket_status_changed', [ticket.requesterId, ticket.technicianId], {
        change: { from: 'closed', to: 'open', reopened: true },
      });
    case 'commented': {
      const comment = change.comment;
      if (!comment) return [];
      return toUsers(
        'ticket_commented',
        [ticket.requesterId, ticket.technicianId].filter((id) => id !== comment.authorId),
        {
          comment: { author: people.name(comment.authorId), body: comment.body },
        },
      );
    }
    case 'sla_breached': {
      const target = event.fromValue === 'response' ? 'response' : 'resolution';
      const due = target === 'response' ? ticket.slaResponseDueAt : ticket.slaResolutionDueAt;
      const sla = { target, due: due ? new Date(due).toISOString() : null } as const;
      return (options.slaBreachRecipients ?? []).map(
        (email): Draft => ({
          template: 'ticket_sla_breached',
          to: { email },
          data: {
            ...base,
            ...(options.privateTicket ? { ticket: privateSnapshot(snapshot) } : {}),
            sla,
          },
        }),
      );
    }
    default:
      return [];
  }
}

/** The ticket's request type as emails need it (`isPrivate` for what private types keep out of them). */
export interface TypeOfTicket {
  name: string;
  isPrivate: boolean;
}

/** The type of the changed ticket, read in its transaction; null when it has none. */
export async function typeOfTicket(
  db: Database,
  change: TicketChange,
  transaction: Transaction,
): Promise<TypeOfTicket | null> {
  const id = change.ticket.requestTypeId;
  if (id === null || id === undefined) return null;
  const type = await db.models.RequestType.findByPk(id, {
    attributes: ['name', 'isPrivate'],
    transaction,
  });
  return type ? { name: type.name, isPrivate: Boolean(type.isPrivate) } : null;
}

/**
 * What a manager's email may say of a private request type's ticket: that it exists, its type's
 * name and who asked; not its title, its description or the answers to its type's fields.
 */
function privateSnapshot(snapshot: TicketSnapshot): TicketSnapshot {
  const { requestType, ...rest } = snapshot;
  return {
    ...rest,
    title: '',
    description: '',
    private: true,
    ...(requestType ? { requestType: { name: requestType.name, fields: [] } } : {}),
  };
}

function snapshotOf(change: TicketChange, people: People, type: TypeOfTicket | null): TicketSnapshot {
  const { ticket } = change;
  return {
    id: ticket.id,
    title: ticket.title,
    description: ticket.description,
    priority: ticket.priority,
    status: ticket.status,
    requester: people.name(ticket.requesterId),
    technician: ticket.technicianId ? people.name(ticket.technicianId) : null,
    createdAt: new Date(ticket.createdAt ?? Date.now()).toISOString(),
    ...(type
      ? {
          requestType: {
            name: type.name,
            fields: storedFieldsOf(ticket).map((field) => ({ label: field.label, value: field.value })),
          },
        }
      : {}),
  };
}

/** The users a change involves, loaded once in its transaction. */
export class People {
  private constructor(private readonly byId: Map<string, User>) {}

  /** Nobody known: names fall back to Slack ids. */
  static none(): People {
    return new People(new Map());
  }

  static async load(db: Database, change: TicketChange, transaction: Transaction): Promise<People> {
    const ids = [
      change.event.actorId,
      change.ticket.requesterId,
      change.ticket.technicianId,
      change.event.toValue,
      change.comment?.authorId,
    ];
    return new People(await usersById(db, ids, transaction));
  }

  get(id: string): User | undefined {
    return this.byId.get(id);
  }

  name(id: string): string {
    const user = this.byId.get(id);
    return user ? displayName(user) : id;
  }
}
