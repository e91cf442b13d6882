import {
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

/**
 * Where the requester's rating DM for one closing of a ticket is, while it waits for an answer
 * (deleted once it is answered or replaced): Slack's bookkeeping, written by
 * src/slack/store/ratingPrompts.ts.
 */
export class SlackRatingPrompt extends Model<
  InferAttributes<SlackRatingPrompt>,
  InferCreationAttributes<SlackRatingPrompt>
> {
  declare ticketId: number;
  /** The closing it asks about (tickets.resolution then). */
  declare resolution: number;
  declare channelId: string;
  declare messageTs: string;

  static initModel(sequelize: Sequelize): typeof SlackRatingPrompt {
    // A subclass per connection, so two databases (SQLite and MariaDB in one test run) never share a model.
    const Bound = class extends SlackRatingPrompt {};
    Bound.init(
      {
        ticketId: { type: DataTypes.INTEGER, primaryKey: true },
        resolution: { type: DataTypes.INTEGER, primaryKey: true },
        channelId: { type: DataTypes.STRING(32), allowNull: false },
        messageTs: { type: DataTypes.STRING(32), allowNull: false },
      },
      {
        sequelize,
        modelName: 'SlackRatingPrompt',
        tableName: 'slack_rating_prompts',
        underscored: true,
        timestamps: false,
      },
    );
    return Bound;
  }
}
