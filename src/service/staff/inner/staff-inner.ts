import type { ModelStatic } from 'sequelize';
import { readYourWrites } from '../../../core/db/mysql';
import type { StaffRow } from '../../../model/staff';

/** A staff account as the service layer sees it; the hash never leaves the service. */
export interface StaffAccount {
  id: number;
  username: string;
  display_name: string;
  password_hash: string;
  roles: string[];
  disabled: boolean;
}

type Row = Omit<StaffRow, keyof import('sequelize').Model>;

function toAccount(row: Row): StaffAccount {
  return {
    id: Number(row.id),
    username: row.username,
    display_name: row.display_name,
    password_hash: row.password_hash,
    roles: row.roles ? row.roles.split(',') : [],
    disabled: Boolean(row.disabled),
  };
}

/** Data access for the staff table. */
export class StaffInner {
  constructor(private readonly Staff: ModelStatic<StaffRow>) {}

  async findByUsername(username: string): Promise<StaffAccount | undefined> {
    const row = await this.Staff.findOne({ where: { username }, raw: true });
    return row ? toAccount(row) : undefined;
  }

  /** `primary` reads from the primary, for a caller that must see a write just made (replicas may lag). */
  async findById(id: number, options: { primary?: boolean } = {}): Promise<StaffAccount | undefined> {
    const base = { where: { id }, raw: true };
    const row = await this.Staff.findOne(options.primary ? readYourWrites(base) : base);
    return row ? toAccount(row) : undefined;
  }

  async insert(values: Omit<StaffAccount, 'id'>): Promise<number> {
    const row = await this.Staff.create({ ...values, roles: values.roles.join(',') });
    return Number(row.id);
  }

  async update(id: number, values: Partial<Omit<StaffAccount, 'id'>>): Promise<void> {
    const { roles, ...rest } = values;
    await this.Staff.update({ ...rest, ...(roles ? { roles: roles.join(',') } : {}) }, { where: { id } });
  }
}
