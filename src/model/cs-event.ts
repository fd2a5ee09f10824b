import {
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type ModelStatic,
  type Sequelize,
  type CreationOptional,
} from 'sequelize';
import { defineEntity } from './base';

export interface CsEventRow extends Model<InferAttributes<CsEventRow>, InferCreationAttributes<CsEventRow>> {
  id: CreationOptional<number>;
  user_id: string | null;
  user_type: string;
  phone: string;
  order_id: string | null;
  source: string;
  category_id: string | null;
  priority: number;
  status: string;
  creator_id: string;
  handler_id: string;
  compensation: string;
  content: string;
  request_key: string | null;
  /** Who the request key belongs to (`staff:7`, `service:order`); '' for rows from before keys had owners. */
  request_scope: CreationOptional<string>;
  /** SHA-256 (hex) of the request an event with a request key was created from; NULL without a key, or from before. */
  request_hash: CreationOptional<string | null>;
  created_at: CreationOptional<Date>;
  updated_at: CreationOptional<Date>;
  deleted_at: CreationOptional<Date | null>;
  deleted_id: CreationOptional<string>;
}

export interface CsEventRecordRow extends Model<
  InferAttributes<CsEventRecordRow>,
  InferCreationAttributes<CsEventRecordRow>
> {
  id: CreationOptional<number>;
  event_id: number;
  actor_id: number;
  via: CreationOptional<string>;
  action: string;
  from_status: string | null;
  to_status: string;
  handler_id: number;
  content: string;
  created_at: CreationOptional<Date>;
}

export interface CsCategoryRow extends Model<InferAttributes<CsCategoryRow>, InferCreationAttributes<CsCategoryRow>> {
  id: CreationOptional<number>;
  parent_id: number;
  level: number;
  name: string;
  is_valid: boolean;
  created_at: CreationOptional<Date>;
  updated_at: CreationOptional<Date>;
  deleted_at: CreationOptional<Date | null>;
  deleted_id: CreationOptional<string>;
}

export interface CsModels {
  CsEvent: ModelStatic<CsEventRow>;
  CsEventRecord: ModelStatic<CsEventRecordRow>;
  CsCategory: ModelStatic<CsCategoryRow>;
}

/** The customer-service tables (see migrations/0001-cs-events). BIGINT columns read as strings. */
export function defineCsModels(sequelize: Sequelize): CsModels {
  const CsEvent = defineEntity<CsEventRow>(sequelize, 'cs_event', {
    user_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: true },
    user_type: { type: DataTypes.STRING(16), allowNull: false },
    phone: { type: DataTypes.STRING(32), allowNull: false },
    order_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: true },
    source: { type: DataTypes.STRING(16), allowNull: false },
    category_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: true },
    priority: { type: DataTypes.TINYINT.UNSIGNED, allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false },
    creator_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
    handler_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
    compensation: { type: DataTypes.DECIMAL(12, 2), allowNull: false },
    content: { type: DataTypes.TEXT, allowNull: false },
    request_key: { type: DataTypes.STRING(64), allowNull: true },
    request_scope: { type: DataTypes.STRING(100), allowNull: false, defaultValue: '' },
    request_hash: { type: DataTypes.CHAR(64), allowNull: true, defaultValue: null },
  });
  const CsCategory = defineEntity<CsCategoryRow>(sequelize, 'cs_event_category', {
    parent_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
    level: { type: DataTypes.TINYINT.UNSIGNED, allowNull: false },
    name: { type: DataTypes.STRING(64), allowNull: false },
    is_valid: { type: DataTypes.BOOLEAN, allowNull: false },
  });
  const CsEventRecord = sequelize.define<CsEventRecordRow>(
    'cs_event_record',
    {
      id: { type: DataTypes.BIGINT.UNSIGNED, primaryKey: true, autoIncrement: true },
      event_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      actor_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      via: { type: DataTypes.STRING(100), allowNull: false, defaultValue: '' },
      action: { type: DataTypes.STRING(16), allowNull: false },
      from_status: { type: DataTypes.STRING(16), allowNull: true },
      to_status: { type: DataTypes.STRING(16), allowNull: false },
      handler_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      content: { type: DataTypes.TEXT, allowNull: false },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    { tableName: 'cs_event_record', timestamps: true, createdAt: 'created_at', updatedAt: false },
  );
  return { CsEvent, CsEventRecord, CsCategory };
}
