import { type CreationOptional, DataTypes, type Sequelize } from 'sequelize';
import { bindModel, Row } from './define.js';
import type { Priority } from './ticket.js';

export const FIELD_KINDS = ['short', 'long', 'choice'] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];

export const ASSIGNMENT_RULES = ['none', 'round_robin', 'least_open'] as const;
export type AssignmentRule = (typeof ASSIGNMENT_RULES)[number];

/** One extra field a request type asks for. `id` stays the same when the field is edited. */
export interface FieldDefinition {
  id: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  /** The choices of a `choice` field, in order. */
  options?: string[];
}

/**
 * A kind of request admins define (migrations/20261204060000-request-types.ts): the modal asks
 * for its fields, its tickets go to its channel and its technicians, by its assignment rule.
 * `technicianIds`, `fields` and `slaTargets` are JSON in their columns; read them with the helpers in
 * src/tickets/requestTypes.ts.
 */
export class RequestType extends Row<RequestType> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare description: CreationOptional<string>;
  declare defaultPriority: CreationOptional<Priority>;
  declare technicianIds: string;
  declare channelId: string | null;
  declare isPrivate: CreationOptional<boolean>;
  declare isDefault: CreationOptional<boolean>;
  declare assignment: CreationOptional<AssignmentRule>;
  declare lastAssignedId: CreationOptional<string | null>;
  declare fields: string;
  /** The type's own service-level targets by priority, JSON (migrations/20261210010000-request-type-targets.ts). */
  declare slaTargets: CreationOptional<string | null>;
  declare archivedAt: CreationOptional<Date | null>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof RequestType {
    return bindModel(
      RequestType,
      sequelize,
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        name: { type: DataTypes.STRING(80), allowNull: false },
        description: { type: DataTypes.STRING(300), allowNull: false, defaultValue: '' },
        defaultPriority: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'normal' },
        technicianIds: { type: DataTypes.TEXT, allowNull: false },
        channelId: { type: DataTypes.STRING(32), allowNull: true },
        isPrivate: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        isDefault: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        assignment: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'none' },
        lastAssignedId: { type: DataTypes.STRING(32), allowNull: true },
        fields: { type: DataTypes.TEXT, allowNull: false },
        slaTargets: { type: DataTypes.TEXT, allowNull: true },
        archivedAt: { type: DataTypes.DATE, allowNull: true },
        version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { modelName: 'RequestType', tableName: 'request_types' },
    );
  }
}
