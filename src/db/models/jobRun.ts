import { type CreationOptional, DataTypes, type Sequelize } from 'sequelize';
import { bindModel, Row } from './define.js';

/** (job, period) is unique: a periodic job claims its period by inserting the row. */
export class JobRun extends Row<JobRun> {
  declare id: CreationOptional<number>;
  declare job: string;
  declare period: string;
  declare owner: string | null;
  declare finishedAt: Date | null;
  declare createdAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof JobRun {
    return bindModel(
      JobRun,
      sequelize,
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        job: { type: DataTypes.STRING(64), allowNull: false },
        period: { type: DataTypes.STRING(64), allowNull: false },
        owner: { type: DataTypes.STRING(64), allowNull: true },
        finishedAt: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
      },
      { modelName: 'JobRun', tableName: 'job_runs', updatedAt: false },
    );
  }
}
