import type { Sequelize } from 'sequelize';

/** Slice `i` of the row's MD5 (12 bits) modulo `n`: one independent draw per column. */
const draw = (i: number, n: number): string => `CONV(SUBSTR(h, ${1 + 3 * i}, 3), 16, 10) % ${n}`;

/**
 * Fills cs_event with `rows` events from MariaDB's SEQUENCE engine, in
 * chunks, with the spread a year of a back office has: five statuses
 * (most done), 50 handlers, 4 priorities, 7 sources, 4 reporter types, 30
 * categories, a phone per 10 events, a user per 4, one event in ten
 * compensated, created evenly over 2024 (the same spread at any size) and
 * updated up to two days later. Ids follow creation. Status, handler,
 * creator, priority, reporter type, source, category and compensation each
 * come from their own 12 bits of the row number's MD5, so they are
 * independent: taken as residues of the number, as they once were, every
 * pending event had priority 0 and one of 5 handlers, and lists such as
 * `status=pending&priority=3` were empty at any size (CRC32 with a salt per
 * column is no better: it is linear, so its low bits move together). The
 * derived table's LIMIT keeps MariaDB from merging it into the SELECT, which
 * would compute the MD5 once per draw. Also used by make bench-scale.
 */

export async function fillCsEvents(sequelize: Sequelize, rows: number, chunk = 200_000): Promise<void> {
  for (let from = 1; from <= rows; from += chunk) {
    const to = Math.min(rows, from + chunk - 1);
    await sequelize.query(
      `INSERT INTO cs_event (user_id, user_type, phone, order_id, source, category_id, priority, status,
         creator_id, handler_id, compensation, content, created_at, updated_at)
       SELECT 1 + (seq * 7919) % ${Math.max(1, Math.floor(rows / 4))},
              ELT(1 + ${draw(0, 4)}, 'merchant', 'marketing', 'user', 'others'),
              CONCAT('138', LPAD((seq * 104729) % ${Math.max(1, Math.floor(rows / 10))}, 7, '0')),
              IF(seq % 3 = 0, NULL, 1000000000 + seq),
              ELT(1 + ${draw(1, 7)}, 'phone', 'email', 'weibo', 'wechat', 'online_cs', 'feedback', 'others'),
              IF(${draw(2, 11)} = 0, NULL, 1 + ${draw(3, 30)}),
              ${draw(4, 4)},
              ELT(1 + ${draw(5, 20)}, 'pending', 'remain', 'follow_up', 'forward',
                  'done', 'done', 'done', 'done', 'done', 'done', 'done', 'done', 'done', 'done', 'done', 'done',
                  'done', 'done', 'done', 'done'),
              1 + ${draw(6, 50)},
              1 + ${draw(7, 50)},
              IF(${draw(8, 10)} = 0, 5 + seq % 50, 0),
              'The rider was late and the food was cold.',
              TIMESTAMP('2024-01-01') + INTERVAL FLOOR(seq * 31536000000 / ${rows}) * 1000 MICROSECOND,
              TIMESTAMP('2024-01-01') + INTERVAL FLOOR(seq * 31536000000 / ${rows}) * 1000 MICROSECOND + INTERVAL ((seq * 7) % 172800) SECOND
         FROM (SELECT seq, MD5(seq) AS h FROM seq_${from}_to_${to} LIMIT ${to - from + 1}) AS drawn`,
    );
  }
}
