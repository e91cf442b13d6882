import { DataTypes, type Sequelize } from 'sequelize';
import { bindModel, Row } from './define.js';

/**
 * Where the requester's rating DM for one closing of a ticket is, while it waits for an answer
 * (deleted once it is answered or replaced): Slack's bookkeeping, written by
 * src/slack/store/ratingPrompts.ts.
 */
export class SlackRatingPrompt extends Row<SlackRatingPrompt> {
  declare ticketId: number;
  /** The closing it asks about (tickets.resolution then). */
  declare resolution: number;
  declare channelId: string;
  declare messageTs: string;

  static initModel(sequelize: Sequelize): typeof SlackRatingPrompt {
    return bindModel(
      SlackRatingPrompt,
      sequelize,
      {
        ticketId: { type: DataTypes.INTEGER, primaryKey: true },
        resolution: { type: DataTypes.INTEGER, primaryKey: true },
        channelId: { type: DataTypes.STRING(32), allowNull: false },
        messageTs: { type: DataTypes.STRING(32), allowNull: false },
      },
      { modelName: 'SlackRatingPrompt', tableName: 'slack_rating_prompts', timestamps: false },
    );
  }
}
