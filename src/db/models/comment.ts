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
  /** The "Add comment" modal (Slack view id) it was submitted from; unique so a repeat adds nothing. */
  declare slackViewId: CreationOptional<string | null>;
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
        slackViewId: { type: DataTypes.STRING(32), allowNull: true, defaultValue: null },
        editedAt: { type: DataTypes.DATE, allowNull: true },
        deletedAt: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { modelName: 'Comment', tableName: 'comments' },
    );
  }
}
