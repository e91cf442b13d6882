import { type CreationOptional, DataTypes, type Sequelize } from 'sequelize';
import { bindModel, Row } from './define.js';

/** A Slack user as ticketbot knows them; profile fields are cached from users.info. */
export class User extends Row<User> {
  declare id: string;
  declare teamId: string | null;
  declare name: string | null;
  declare realName: string | null;
  declare email: string | null;
  declare locale: string | null;
  declare tz: string | null;
  declare isBot: CreationOptional<boolean>;
  declare isTechnician: CreationOptional<boolean>;
  declare isAdmin: CreationOptional<boolean>;
  declare profileRefreshedAt: Date | null;
  /** Since when a technician is Away (App Home): auto-assignment passes them over. Null: available. */
  declare awaySince: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof User {
    return bindModel(
      User,
      sequelize,
      {
        id: { type: DataTypes.STRING(32), primaryKey: true },
        teamId: { type: DataTypes.STRING(32), allowNull: true },
        name: { type: DataTypes.STRING(255), allowNull: true },
        realName: { type: DataTypes.STRING(255), allowNull: true },
        email: { type: DataTypes.STRING(320), allowNull: true },
        locale: { type: DataTypes.STRING(16), allowNull: true },
        tz: { type: DataTypes.STRING(64), allowNull: true },
        isBot: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        isTechnician: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        isAdmin: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        profileRefreshedAt: { type: DataTypes.DATE, allowNull: true },
        awaySince: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { modelName: 'User', tableName: 'users' },
    );
  }
}

/** The name to show people: the display name, else the real name, else the Slack id. */
export function displayName(user: Pick<User, 'id' | 'name' | 'realName'>): string {
  return user.name || user.realName || user.id;
}
