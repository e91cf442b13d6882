import { type CreationOptional, DataTypes, type Sequelize } from 'sequelize';
import { bindModel, Row } from './define.js';

export const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'dead', 'skipped'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];
/**
 * Where a row ends: sent; dead (the server refused it, or it ran out of attempts); skipped
 * (Slack has no address for the person). Final rows are kept for the status page, then purged.
 */
export const FINAL_OUTBOX_STATUSES = ['sent', 'dead', 'skipped'] as const satisfies readonly OutboxStatus[];

/** One email to send: the durable queue the scheduler drains. */
export class EmailOutbox extends Row<EmailOutbox> {
  declare id: CreationOptional<number>;
  declare ticketId: number | null;
  /**
   * The address. For an email to a Slack user, null until the drain has looked the address up
   * (then the address it was sent to); always set for a bare address (MANAGER_EMAILS).
   */
  declare recipient: CreationOptional<string | null>;
  /** The Slack user the email is for, whose address is looked up when it is sent. */
  declare recipientUserId: CreationOptional<string | null>;
  declare template: string;
  /** Template variables as JSON text. */
  declare data: string;
  declare locale: string | null;
  declare status: CreationOptional<OutboxStatus>;
  declare attempts: CreationOptional<number>;
  declare availableAt: CreationOptional<Date>;
  declare leaseOwner: string | null;
  declare leaseExpiresAt: Date | null;
  declare lastError: string | null;
  declare lastSmtpCode: number | null;
  declare messageId: string | null;
  /** Unique: enqueuing the same notification twice keeps one row. */
  declare idempotencyKey: string;
  declare sentAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof EmailOutbox {
    return bindModel(
      EmailOutbox,
      sequelize,
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        ticketId: { type: DataTypes.INTEGER, allowNull: true },
        recipient: { type: DataTypes.STRING(320), allowNull: true },
        recipientUserId: { type: DataTypes.STRING(32), allowNull: true },
        template: { type: DataTypes.STRING(64), allowNull: false },
        data: { type: DataTypes.TEXT, allowNull: false },
        locale: { type: DataTypes.STRING(16), allowNull: true },
        status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
        attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        availableAt: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
        leaseOwner: { type: DataTypes.STRING(64), allowNull: true },
        leaseExpiresAt: { type: DataTypes.DATE, allowNull: true },
        lastError: { type: DataTypes.STRING(1000), allowNull: true },
        lastSmtpCode: { type: DataTypes.INTEGER, allowNull: true },
        messageId: { type: DataTypes.STRING(255), allowNull: true },
        idempotencyKey: { type: DataTypes.STRING(191), allowNull: false },
        sentAt: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      {
        modelName: 'EmailOutbox',
        tableName: 'email_outbox',
        freezeTableName: true,
      },
    );
  }
}
