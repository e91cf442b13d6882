import { type CreationOptional, DataTypes, type Sequelize } from 'sequelize';
import { bindModel, Row } from './define.js';

export const EVENT_TYPES = [
  'created',
  'assigned',
  'unassigned',
  'status_changed',
  'reopened',
  'commented',
  'comment_edited',
  'comment_deleted',
  'rated',
  'rating_remarked',
  'type_changed',
  'priority_changed',
  'sla_warning',
  'sla_breached',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The assignment rules ticketbot applies itself (src/tickets/autoAssign.ts). */
export const AUTO_ASSIGN_RULES = ['round_robin', 'least_open'] as const;
export type AutoAssignRule = (typeof AUTO_ASSIGN_RULES)[number];

/**
 * The actor of an event ticketbot made by itself, under a request type's assignment rule:
 * `ticketbot:round_robin`, `ticketbot:least_open`. Not a Slack user id (those are U…/W…), so no
 * surface ever takes it for a person: each shows it as "ticketbot (round-robin)" in its language.
 */
export function autoAssignActor(rule: AutoAssignRule): string {
  return `ticketbot:${rule}`;
}

/** The rule an event's actor stands for, when ticketbot made it (undefined: a person did). */
export function autoAssignRuleOf(actorId: string | null | undefined): AutoAssignRule | undefined {
  if (!actorId?.startsWith('ticketbot:')) return undefined;
  const rule = actorId.slice('ticketbot:'.length);
  return (AUTO_ASSIGN_RULES as readonly string[]).includes(rule) ? (rule as AutoAssignRule) : undefined;
}

/** The audit trail: who did what to a ticket, and when. */
export class TicketEvent extends Row<TicketEvent> {
  declare id: CreationOptional<number>;
  declare ticketId: number;
  declare actorId: string;
  declare type: EventType;
  declare fromValue: string | null;
  declare toValue: string | null;
  /** The ticket version this event produced. */
  declare version: number;
  declare createdAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof TicketEvent {
    return bindModel(
      TicketEvent,
      sequelize,
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        ticketId: { type: DataTypes.INTEGER, allowNull: false },
        actorId: { type: DataTypes.STRING(32), allowNull: false },
        type: { type: DataTypes.STRING(32), allowNull: false },
        fromValue: { type: DataTypes.STRING(255), allowNull: true },
        toValue: { type: DataTypes.STRING(255), allowNull: true },
        version: { type: DataTypes.INTEGER, allowNull: false },
        createdAt: DataTypes.DATE,
      },
      {
        modelName: 'TicketEvent',
        tableName: 'ticket_events',
        updatedAt: false,
      },
    );
  }
}
