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
