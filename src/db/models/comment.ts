import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

export class Comment extends Model<InferAttributes<Comment>, InferCreationAttributes<Comment>> {
  declare id: CreationOptional<number>;
  declare ticketId: number;
  declare authorId: string;
  declare body: string;
  /** The Slack message this comment is (thread reply); unique so Slack's retries add nothing. */
  declare slackTs: string | null;
  declare editedAt: Date | null;
  declare deletedAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof Comment {
    // A subclass per connection, so two databases (SQLite and MariaDB in one test run) never share a model.
    const Bound = class extends Comment {};
    Bound.init(
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        ticketId: { type: DataTypes.INTEGER, allowNull: false },
        authorId: { type: DataTypes.STRING(32), allowNull: false },
        body: { type: DataTypes.TEXT, allowNull: false },
        slackTs: { type: DataTypes.STRING(32), allowNull: true },
        editedAt: { type: DataTypes.DATE, allowNull: true },
        deletedAt: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, modelName: 'Comment', tableName: 'comments', underscored: true },
    );
    return Bound;
  }
}
