import { DataTypes, QueryTypes, type Sequelize } from 'sequelize';
import { createSequelize } from '../../src/core/db/mysql';
import { executeSelect, statementTransaction } from '../../src/core/db/statements';
import { testConfig } from '../helpers/app';
import { freshDatabase } from '../helpers/db';

/**
 * What a row's values are when they come back, on the real MariaDB: mysql2
 * reads them itself (createSequelize turns Sequelize's typeCast hook off),
 * and the code relies on these types: a DATETIME(3) a Date in UTC with its
 * milliseconds, a DATE the 'YYYY-MM-DD' string of Sequelize's DATEONLY,
 * BIGINT (past 2^53 too) and DECIMAL exact strings, NULL null. The same
 * through a model, a raw query and a prepared statement.
 */

let db: { database: string; drop: () => Promise<void> };
let sequelize: Sequelize;

const ROW = {
  at: '2024-02-29 23:59:58.123',
  day: '2024-02-29',
  big: '18446744073709551615',
  money: '1234567.89',
};

const EXPECTED = {
  at: new Date('2024-02-29T23:59:58.123Z'),
  day: '2024-02-29',
  big: '18446744073709551615',
  money: '1234567.89',
  empty: null,
};

beforeAll(async () => {
  db = await freshDatabase();
  sequelize = createSequelize(testConfig({ mysql: { database: db.database } }));
  await sequelize.query(
    'CREATE TABLE value_probe (id INT PRIMARY KEY, at DATETIME(3) NOT NULL, day DATE NOT NULL, ' +
      'big BIGINT UNSIGNED NOT NULL, money DECIMAL(12,2) NOT NULL, empty DATETIME(3) NULL)',
  );
  await sequelize.query('INSERT INTO value_probe VALUES (1, ?, ?, ?, ?, NULL)', {
    replacements: [ROW.at, ROW.day, ROW.big, ROW.money],
  });
});

afterAll(async () => {
  await sequelize.close();
  await db.drop();
});

const COLUMNS = 'SELECT at, day, big, money, empty FROM value_probe WHERE id = 1';

test('a raw query reads each type as the code expects', async () => {
  const [row] = await sequelize.query(COLUMNS, { type: QueryTypes.SELECT });
  expect(row).toEqual(EXPECTED);
});

test('a model reads each type as the code expects', async () => {
  const Probe = sequelize.define(
    'value_probe',
    {
      id: { type: DataTypes.INTEGER, primaryKey: true },
      at: DataTypes.DATE(3),
      day: DataTypes.DATEONLY,
      big: DataTypes.BIGINT.UNSIGNED,
      money: DataTypes.DECIMAL(12, 2),
      empty: DataTypes.DATE(3),
    },
    { timestamps: false, freezeTableName: true },
  );
  const row = await Probe.findByPk(1, { raw: true, attributes: ['at', 'day', 'big', 'money', 'empty'] });
  expect(row).toEqual(EXPECTED);
});

test('a prepared statement in a write transaction reads each type as the code expects', async () => {
  const [row] = await statementTransaction(sequelize, (tx) => executeSelect(tx, `${COLUMNS} AND id = ?`, [1]));
  expect(row).toEqual(EXPECTED);
});
