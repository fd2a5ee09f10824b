import {
  DataTypes,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type ModelStatic,
  type Sequelize,
} from 'sequelize';
import { defineEntity } from './base';

export interface StaffRow extends Model<InferAttributes<StaffRow>, InferCreationAttributes<StaffRow>> {
  id: CreationOptional<number>;
  username: string;
  display_name: string;
  password_hash: string;
  /** Comma-separated role names. */
  roles: string;
  disabled: boolean;
  created_at: CreationOptional<Date>;
  updated_at: CreationOptional<Date>;
  deleted_at: CreationOptional<Date | null>;
  deleted_id: CreationOptional<string>;
}

/** Staff accounts (see migrations/0002-staff). */
export function defineStaffModel(sequelize: Sequelize): ModelStatic<StaffRow> {
  return defineEntity<StaffRow>(sequelize, 'staff', {
    username: { type: DataTypes.STRING(64), allowNull: false },
    display_name: { type: DataTypes.STRING(128), allowNull: false },
    password_hash: { type: DataTypes.STRING(255), allowNull: false },
    roles: { type: DataTypes.STRING(255), allowNull: false },
    disabled: { type: DataTypes.BOOLEAN, allowNull: false },
  });
}
