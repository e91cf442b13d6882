import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

export class Rating extends Model<InferAttributes<Rating>, InferCreationAttributes<Rating>> {
  declare id: CreationOptional<number>;
  declare ticketId: number;
  /** Which closing of the ticket this rates (tickets.resolution at the time). */
  declare resolution: number;
  declare requesterId: string;
  declare technicianId: string;
  declare score: number;
  declare remark: string | null;
  declare createdAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof Rating {
    // A subclass per connection, so two databases (SQLite and MariaDB in one test run) never share a model.
    const Bound = class extends Rating {};
    Bound.init(
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        ticketId: { type: DataTypes.INTEGER, allowNull: false },
        resolution: { type: DataTypes.INTEGER, allowNull: false },
        requesterId: { type: DataTypes.STRING(32), allowNull: false },
        technicianId: { type: DataTypes.STRING(32), allowNull: false },
        score: { type: DataTypes.TINYINT, allowNull: false },
        remark: { type: DataTypes.STRING(1000), allowNull: true },
        createdAt: DataTypes.DATE,
      },
      { sequelize, modelName: 'Rating', tableName: 'ratings', underscored: true, updatedAt: false },
    );
    return Bound;
  }
}
