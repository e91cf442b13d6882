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
   * The idempotency key of what the ticket was submitted from (unique: submitting the same thing
   * again finds this ticket). Slack's new-ticket modal gives `slack-view:<view id>`.
   */
  declare submissionKey: CreationOptional<string | null>;
  /** The Slack message a ticket was made from (message shortcut), if any. */
  declare sourceChannelId: string | null;
  declare sourceMessageTs: string | null;
  declare sourcePermalink: string | null;
  /** Its request type (src/db/models/requestType.ts), if types are defined. */
  declare requestTypeId: CreationOptional<number | null>;
  /** JSON: the type's field values it was opened with, [{id, label, value}] (tickets/requestTypes.ts). */
  declare requestFields: CreationOptional<string | null>;
  /** Bumped by every change: optimistic concurrency for buttons that show an older state. */
  declare version: CreationOptional<number>;
  /** How many times the ticket has been closed; ratings are one per resolution. */
  declare resolution: CreationOptional<number>;
  declare lastActivityAt: CreationOptional<Date>;
  declare closedAt: Date | null;
  // Service-level clocks (src/tickets/sla.ts); all null when the ticket has none.
  /** The first comment or status change by a technician or admin other than the requester. */
  declare firstResponseAt: CreationOptional<Date | null>;
  declare slaResponseDueAt: CreationOptional<Date | null>;
  /** When 75 % of the first-response target is used. */
  declare slaResponseWarnAt: CreationOptional<Date | null>;
  declare slaResponseMetAt: CreationOptional<Date | null>;
  declare slaResponseMissedAt: CreationOptional<Date | null>;
  declare slaResolutionDueAt: CreationOptional<Date | null>;
  declare slaResolutionWarnAt: CreationOptional<Date | null>;
  declare slaResolutionMetAt: CreationOptional<Date | null>;
  declare slaResolutionMissedAt: CreationOptional<Date | null>;
  /** When the running stretch of the resolution clock began (creation, a reopen); null: stopped. */
  declare slaResolutionStartedAt: CreationOptional<Date | null>;
  /** Business seconds the resolution clock ran in the stretches before the running one. */
  declare slaResolutionUsedSeconds: CreationOptional<number>;
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
        submissionKey: { type: DataTypes.STRING(64), allowNull: true },
        sourceChannelId: { type: DataTypes.STRING(32), allowNull: true },
        sourceMessageTs: { type: DataTypes.STRING(32), allowNull: true },
        sourcePermalink: { type: DataTypes.STRING(500), allowNull: true },
        requestTypeId: { type: DataTypes.INTEGER, allowNull: true },
        requestFields: { type: DataTypes.TEXT, allowNull: true },
        version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
        resolution: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        lastActivityAt: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
        closedAt: { type: DataTypes.DATE, allowNull: true },
        firstResponseAt: { type: DataTypes.DATE, allowNull: true },
        slaResponseDueAt: { type: DataTypes.DATE, allowNull: true },
        slaResponseWarnAt: { type: DataTypes.DATE, allowNull: true },
        slaResponseMetAt: { type: DataTypes.DATE, allowNull: true },
        slaResponseMissedAt: { type: DataTypes.DATE, allowNull: true },
        slaResolutionDueAt: { type: DataTypes.DATE, allowNull: true },
        slaResolutionWarnAt: { type: DataTypes.DATE, allowNull: true },
        slaResolutionMetAt: { type: DataTypes.DATE, allowNull: true },
        slaResolutionMissedAt: { type: DataTypes.DATE, allowNull: true },
        slaResolutionStartedAt: { type: DataTypes.DATE, allowNull: true },
        slaResolutionUsedSeconds: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { modelName: 'Ticket', tableName: 'tickets' },
    );
  }
}
