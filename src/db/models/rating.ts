import { type CreationOptional, DataTypes, type Sequelize } from 'sequelize';
import { bindModel, Row } from './define.js';

export class Rating extends Row<Rating> {
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
    return bindModel(
      Rating,
      sequelize,
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
      { modelName: 'Rating', tableName: 'ratings', updatedAt: false },
    );
  }
}
