import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

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
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The audit trail: who did what to a ticket, and when. */
export class TicketEvent extends Model<InferAttributes<TicketEvent>, InferCreationAttributes<TicketEvent>> {
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
    // A subclass per connection, so two databases (SQLite and MariaDB in one test run) never share a model.
    const Bound = class extends TicketEvent {};
    Bound.init(
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
        sequelize,
        modelName: 'TicketEvent',
        tableName: 'ticket_events',
        underscored: true,
        updatedAt: false,
      },
    );
    return Bound;
  }
}
