import { type CreationOptional, DataTypes, type Sequelize } from 'sequelize';
import { bindModel, Row } from './define.js';

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const STATUSES = ['open', 'in_progress', 'closed'] as const;
export type Status = (typeof STATUSES)[number];

export class Ticket extends Row<Ticket> {
  declare id: CreationOptional<number>;
  declare title: string;
  declare description: string;
  declare priority: Priority;
  declare status: CreationOptional<Status>;
  declare requesterId: string;
  declare technicianId: string | null;
  /**
   * Where the ticket card lives in Slack. Before the card is posted: the channel it is meant for,
   * no ts yet, and a lease (see cardLeaseUntil). Tickets from before cards stayed out of DMs may
   * hold the requester's user id here, meaning their DM.
   */
  declare slackChannelId: string | null;
  declare slackMessageTs: string | null;
  /**
   * While a new ticket's card, or the DMs that follow it, are still owed: until when the process
   * delivering them holds the job. Null once everything is delivered (or given up).
   */
  declare cardLeaseUntil: CreationOptional<Date | null>;
  /** When the requester got the new ticket's DM (its link, or why there is no card). */
  declare requesterToldAt: CreationOptional<Date | null>;
  /** When the technician named at creation got their DM. */
  declare technicianToldAt: CreationOptional<Date | null>;
  /** Where the requester's rating DM is, while it waits for an answer (cleared once it is replaced). */
  declare ratingPromptChannelId: CreationOptional<string | null>;
  declare ratingPromptTs: CreationOptional<string | null>;
  /** The Slack modal the ticket was submitted from (unique: a second submission finds this ticket). */
  declare slackViewId: CreationOptional<string | null>;
  /** The Slack message a ticket was made from (message shortcut), if any. */
  declare sourceChannelId: string | null;
  declare sourceMessageTs: string | null;
  declare sourcePermalink: string | null;
  /** Bumped by every change: optimistic concurrency for buttons that show an older state. */
  declare version: CreationOptional<number>;
  /** How many times the ticket has been closed; ratings are one per resolution. */
  declare resolution: CreationOptional<number>;
  declare lastActivityAt: CreationOptional<Date>;
  declare closedAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof Ticket {
    return bindModel(
      Ticket,
      sequelize,
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        title: { type: DataTypes.STRING(150), allowNull: false },
        description: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
        priority: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'normal' },
        status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'open' },
        requesterId: { type: DataTypes.STRING(32), allowNull: false },
        technicianId: { type: DataTypes.STRING(32), allowNull: true },
        slackChannelId: { type: DataTypes.STRING(32), allowNull: true },
        slackMessageTs: { type: DataTypes.STRING(32), allowNull: true },
        cardLeaseUntil: { type: DataTypes.DATE, allowNull: true },
        requesterToldAt: { type: DataTypes.DATE, allowNull: true },
        technicianToldAt: { type: DataTypes.DATE, allowNull: true },
        ratingPromptChannelId: { type: DataTypes.STRING(32), allowNull: true },
        ratingPromptTs: { type: DataTypes.STRING(32), allowNull: true },
        slackViewId: { type: DataTypes.STRING(32), allowNull: true },
        sourceChannelId: { type: DataTypes.STRING(32), allowNull: true },
        sourceMessageTs: { type: DataTypes.STRING(32), allowNull: true },
        sourcePermalink: { type: DataTypes.STRING(500), allowNull: true },
        version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
        resolution: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        lastActivityAt: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
        closedAt: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { modelName: 'Ticket', tableName: 'tickets' },
    );
  }
}
