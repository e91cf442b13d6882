import { type CreationOptional, DataTypes, type Sequelize } from 'sequelize';
import { bindModel, Row } from './define.js';

/**
 * A ticket's card in Slack and the delivery of a new ticket (the card, then the requester's and
 * the technician's DMs): Slack's bookkeeping, written by src/slack/store/cards.ts. The ticket
 * rules never read it.
 */
export class SlackCard extends Row<SlackCard> {
  declare ticketId: number;
  /**
   * Where the card lives. Before it is posted: the channel it is meant for, no ts yet, and a
   * lease. Cards from before they stayed out of DMs may hold the requester's user id here,
   * meaning their DM. Null channel: Slack refused it, and the ticket has no card.
   */
  declare channelId: string | null;
  declare messageTs: CreationOptional<string | null>;
  /**
   * While a new ticket's card, or the DMs that follow it, are still owed: until when the process
   * delivering them holds the job. Null once everything is delivered (or given up).
   */
  declare leaseUntil: CreationOptional<Date | null>;
  /** The process holding that lease (its heartbeat renews it); null when nobody does. */
  declare leaseOwner: CreationOptional<string | null>;
  /** When the requester got the new ticket's DM (its link, or why there is no card). */
  declare requesterToldAt: CreationOptional<Date | null>;
  /** When the technician named at creation got their DM. */
  declare technicianToldAt: CreationOptional<Date | null>;

  static initModel(sequelize: Sequelize): typeof SlackCard {
    return bindModel(
      SlackCard,
      sequelize,
      {
        ticketId: { type: DataTypes.INTEGER, primaryKey: true },
        channelId: { type: DataTypes.STRING(32), allowNull: true },
        messageTs: { type: DataTypes.STRING(32), allowNull: true, defaultValue: null },
        leaseUntil: { type: DataTypes.DATE, allowNull: true, defaultValue: null },
        leaseOwner: { type: DataTypes.STRING(80), allowNull: true, defaultValue: null },
        requesterToldAt: { type: DataTypes.DATE, allowNull: true, defaultValue: null },
        technicianToldAt: { type: DataTypes.DATE, allowNull: true, defaultValue: null },
      },
      { modelName: 'SlackCard', tableName: 'slack_cards', timestamps: false },
    );
  }
}
