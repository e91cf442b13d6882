import {
  type Attributes,
  type InferAttributes,
  type InferCreationAttributes,
  type InitOptions,
  Model,
  type ModelAttributes,
  type ModelStatic,
  type Sequelize,
} from 'sequelize';

// What every model shares: its attributes are the fields it declares, and it is bound to each
// connection on its own.

/** A table's row: a model whose attributes (and those it is created with) are its declared fields. */
export abstract class Row<M extends Model> extends Model<InferAttributes<M>, InferCreationAttributes<M>> {}

/**
 * `model` bound to `sequelize` as a subclass of its own, so two databases in one process (SQLite
 * and MariaDB in one test run) never share a model. Column names are snake_case.
 */
export function bindModel<C extends ModelStatic<Model>>(
  model: C,
  sequelize: Sequelize,
  attributes: ModelAttributes<InstanceType<C>, Attributes<InstanceType<C>>>,
  options: Omit<InitOptions<InstanceType<C>>, 'sequelize' | 'underscored'>,
): C {
  const Bound = class extends (model as unknown as typeof Model) {};
  Bound.init(attributes as ModelAttributes, { ...options, sequelize, underscored: true } as InitOptions);
  return Bound as unknown as C;
}
