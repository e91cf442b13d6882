import type { Database } from '../../db/index.js';
import type { OutboxStatus } from '../../db/models/emailOutbox.js';
import { type AutoAssignRule, autoAssignRuleOf, type EventType } from '../../db/models/ticketEvent.js';
import { slackThreadUrl } from '../../slackIds.js';
import { loadPeople, type Person } from './people.js';
import { answersOf, loadTypeNames, serviceLevelOf, type TicketRow } from './ticketList.js';

// Everything the ticket page shows, read by primary key or by the ticket_id indexes.

/** A ticket's page: its row in the list, and everything else about it. */
export interface TicketDetail extends TicketRow {
  /** Bumped by every change: the priority form sends it back, so a stale page is refused. */
  version: number;
  description: string;
  /** The answers to its type's fields, each under the label it was asked with. */
  requestFields: Array<{ label: string; value: string }>;
  closedAt: Date | null;
  slackThreadUrl: string | null;
  sourcePermalink: string | null;
  /** Slack id → display name, for the ids that history events carry as values. */
  names: Record<string, string>;
  comments: Array<{
    id: number;
    author: Person;
    body: string;
    createdAt: Date;
    edited: boolean;
    deleted: boolean;
  }>;
  /** Its technician set themselves Away (App Home). */
  technicianAway: boolean;
  history: Array<{
    id: number;
    actor: Person;
    /** ticketbot made it, under this assignment rule (the actor is then no person). */
    rule: AutoAssignRule | null;
    type: EventType;
    from: string | null;
    to: string | null;
    createdAt: Date;
  }>;
  ratings: Array<{
    score: number;
    remark: string | null;
    requester: Person;
    technician: Person;
    createdAt: Date;
  }>;
  emails: Array<{
    id: number;
    /** Null until the address of a Slack user has been looked up (when the email is sent). */
    recipient: string | null;
    person: Person | null;
    template: string;
    status: OutboxStatus;
    attempts: number;
    lastError: string | null;
    lastSmtpCode: number | null;
    sentAt: Date | null;
    createdAt: Date;
  }>;
}

const EMAILS_SHOWN = 100;

/** Only http(s) links reach an href: a stored `javascript:` URL must never become clickable. */
function safeLink(url: string | null): string | null {
  return url && /^https:\/\//i.test(url) ? url : null;
}

/** Whether a ticket is of a private request type (its type's privacy as it is now). */
export async function isPrivateTicket(db: Database, id: number): Promise<boolean> {
  const ticket = await db.models.Ticket.findByPk(id, { attributes: ['requestTypeId'] });
  if (!ticket?.requestTypeId) return false;
  const type = await db.models.RequestType.findByPk(ticket.requestTypeId, { attributes: ['isPrivate'] });
  return Boolean(type?.isPrivate);
}

export async function loadTicketDetail(db: Database, id: number): Promise<TicketDetail | undefined> {
  const { Ticket, Comment, TicketEvent, Rating, EmailOutbox, SlackCard } = db.models;
  const ticket = await Ticket.findByPk(id);
  if (!ticket) return undefined;
  const [card, comments, events, ratings, emails, types, technician] = await Promise.all([
    // Where the ticket's card is: Slack's bookkeeping, none when it has no card.
    SlackCard.findByPk(id, { attributes: ['channelId', 'messageTs'] }),
    Comment.findAll({
      where: { ticketId: id },
      order: [
        ['createdAt', 'ASC'],
        ['id', 'ASC'],
      ],
    }),
    TicketEvent.findAll({ where: { ticketId: id }, order: [['id', 'ASC']] }),
    Rating.findAll({ where: { ticketId: id }, order: [['id', 'ASC']] }),
    EmailOutbox.findAll({
      attributes: [
        'id',
        'recipient',
        'recipientUserId',
        'template',
        'status',
        'attempts',
        'lastError',
        'lastSmtpCode',
        'sentAt',
        'createdAt',
      ],
      where: { ticketId: id },
      order: [['id', 'DESC']],
      limit: EMAILS_SHOWN,
    }),
    loadTypeNames(db, [ticket.requestTypeId]),
    ticket.technicianId
      ? db.models.User.findByPk(ticket.technicianId, { attributes: ['awaySince'] })
      : Promise.resolve(null),
  ]);
  const people = await loadPeople(db, [
    ticket.requesterId,
    ticket.technicianId,
    ...comments.map((c) => c.authorId),
    ...events.flatMap((e) => [e.actorId, e.type === 'assigned' || e.type === 'created' ? e.toValue : null]),
    ...events.flatMap((e) => (e.type === 'assigned' ? [e.fromValue] : [])),
    ...ratings.flatMap((r) => [r.requesterId, r.technicianId]),
    ...emails.map((e) => e.recipientUserId),
  ]);
  const person = (personId: string) => people.get(personId) ?? { id: personId, name: personId };
  return {
    id: ticket.id,
    version: ticket.version,
    title: ticket.title,
    description: ticket.description,
    status: ticket.status,
    priority: ticket.priority,
    requester: person(ticket.requesterId),
    technician: ticket.technicianId ? person(ticket.technicianId) : null,
    requestType: ticket.requestTypeId === null ? null : (types.get(ticket.requestTypeId) ?? null),
    requestFields: answersOf(ticket.requestFields),
    createdAt: ticket.createdAt,
    lastActivityAt: ticket.lastActivityAt,
    closedAt: ticket.closedAt,
    serviceLevel: serviceLevelOf({
      status: ticket.status,
      first_response_at: ticket.firstResponseAt,
      sla_response_due_at: ticket.slaResponseDueAt,
      sla_response_missed_at: ticket.slaResponseMissedAt,
      sla_resolution_due_at: ticket.slaResolutionDueAt,
      sla_resolution_met_at: ticket.slaResolutionMetAt,
      sla_resolution_missed_at: ticket.slaResolutionMissedAt,
    }),
    slackThreadUrl: slackThreadUrl(card?.channelId ?? null, card?.messageTs ?? null),
    sourcePermalink: safeLink(ticket.sourcePermalink),
    names: Object.fromEntries([...people.values()].map((p) => [p.id, p.name])),
    comments: comments.map((c) => ({
      id: c.id,
      author: person(c.authorId),
      body: c.body,
      createdAt: c.createdAt,
      edited: c.editedAt !== null,
      deleted: c.deletedAt !== null,
    })),
    technicianAway: Boolean(technician?.awaySince),
    history: events.map((e) => ({
      id: e.id,
      actor: person(e.actorId),
      rule: autoAssignRuleOf(e.actorId) ?? null,
      type: e.type,
      from: e.fromValue,
      to: e.toValue,
      createdAt: e.createdAt,
    })),
    ratings: ratings.map((r) => ({
      score: r.score,
      remark: r.remark,
      requester: person(r.requesterId),
      technician: person(r.technicianId),
      createdAt: r.createdAt,
    })),
    emails: emails.map((e) => ({
      id: e.id,
      recipient: e.recipient,
      person: e.recipientUserId ? person(e.recipientUserId) : null,
      template: e.template,
      status: e.status,
      attempts: e.attempts,
      lastError: e.lastError,
      lastSmtpCode: e.lastSmtpCode,
      sentAt: e.sentAt,
      createdAt: e.createdAt,
    })),
  };
}
