import { type CreationOptional, DataTypes, type Sequelize } from 'sequelize';
import { bindModel, Row } from './define.js';

export class Comment extends Row<Comment> {
  declare id: CreationOptional<number>;
  declare ticketId: number;
  declare authorId: string;
  declare body: string;
  /** The Slack message this comment is (thread reply); unique so Slack's retries add nothing. */
  declare slackTs: string | null;
  /** When the Slack message version `body` holds was written (its `edited.ts`); null: as first posted. */
  declare slackVersionTs: CreationOptional<string | null>;
  /** The idempotency key of what it was submitted from (an "Add comment" modal); unique so a repeat adds nothing. */
  declare submissionKey: CreationOptional<string | null>;
  declare editedAt: Date | null;
  declare deletedAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof Comment {
    return bindModel(
      Comment,
      sequelize,
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        ticketId: { type: DataTypes.INTEGER, allowNull: false },
        authorId: { type: DataTypes.STRING(32), allowNull: false },
        // MEDIUMTEXT on MySQL (migration 20261202020000): a Slack reply may be 40,000 characters.
        body: { type: DataTypes.TEXT('medium'), allowNull: false },
        slackTs: { type: DataTypes.STRING(32), allowNull: true },
        slackVersionTs: { type: DataTypes.STRING(32), allowNull: true, defaultValue: null },
        submissionKey: { type: DataTypes.STRING(64), allowNull: true, defaultValue: null },
        editedAt: { type: DataTypes.DATE, allowNull: true },
        deletedAt: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { modelName: 'Comment', tableName: 'comments' },
    );
  }
}
