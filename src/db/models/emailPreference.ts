import { type CreationOptional, DataTypes, type Sequelize } from 'sequelize';
import { bindModel, Row } from './define.js';

/** A person's choice for one kind of email; (userId, kind) is unique and no row means on. */
export class EmailPreference extends Row<EmailPreference> {
  declare id: CreationOptional<number>;
  /** Slack user id. */
  declare userId: string;
  /** A notification template name (src/notifications/types.ts NOTIFICATIONS), 'digest' included. */
  declare kind: string;
  declare enabled: boolean;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof EmailPreference {
    return bindModel(
      EmailPreference,
      sequelize,
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        userId: { type: DataTypes.STRING(32), allowNull: false },
        kind: { type: DataTypes.STRING(64), allowNull: false },
        enabled: { type: DataTypes.BOOLEAN, allowNull: false },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { modelName: 'EmailPreference', tableName: 'email_preferences' },
    );
  }
}
