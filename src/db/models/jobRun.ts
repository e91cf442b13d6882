import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

/** (job, period) is unique: a periodic job claims its period by inserting the row. */
export class JobRun extends Model<InferAttributes<JobRun>, InferCreationAttributes<JobRun>> {
  declare id: CreationOptional<number>;
  declare job: string;
  declare period: string;
  declare owner: string | null;
  declare finishedAt: Date | null;
  declare createdAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof JobRun {
    // A subclass per connection, so two databases (SQLite and MariaDB in one test run) never share a model.
    const Bound = class extends JobRun {};
    Bound.init(
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        job: { type: DataTypes.STRING(64), allowNull: false },
        period: { type: DataTypes.STRING(64), allowNull: false },
        owner: { type: DataTypes.STRING(64), allowNull: true },
        finishedAt: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
      },
      { sequelize, modelName: 'JobRun', tableName: 'job_runs', underscored: true, updatedAt: false },
    );
    return Bound;
  }
}
