import type { Sequelize } from 'sequelize';

/**
 * Fills cs_event with `rows` events from MariaDB's SEQUENCE engine, in
 * chunks, with the spread a year of a back office has: five statuses
 * (most done), 50 handlers, 4 priorities, 7 sources, 4 reporter types, 30
 * categories, a phone per 10 events, a user per 4, one event in ten
 * compensated, created evenly over 2024 (the same spread at any size) and
 * updated up to two days later. Ids follow creation. Each of status,
 * handler, priority, reporter type, source, category and compensation comes
 * from its own hash of the sequence number (CRC32 with a salt), so they are
 * independent: taken as residues of the number, as they once were, every
 * pending event had priority 0 and one of 5 handlers, and lists such as
 * `status=pending&priority=3` were empty at any size. Also used by make
 * bench-scale.
 */
export async function fillCsEvents(sequelize: Sequelize, rows: number, chunk = 200_000): Promise<void> {
  for (let from = 1; from <= rows; from += chunk) {
    const to = Math.min(rows, from + chunk - 1);
    await sequelize.query(
      `INSERT INTO cs_event (user_id, user_type, phone, order_id, source, category_id, priority, status,
         creator_id, handler_id, compensation, content, created_at, updated_at)
       SELECT 1 + (seq * 7919) % ${Math.max(1, Math.floor(rows / 4))},
              ELT(1 + CRC32(CONCAT('u', seq)) % 4, 'merchant', 'marketing', 'user', 'others'),
              CONCAT('138', LPAD((seq * 104729) % ${Math.max(1, Math.floor(rows / 10))}, 7, '0')),
              IF(seq % 3 = 0, NULL, 1000000000 + seq),
              ELT(1 + CRC32(CONCAT('o', seq)) % 7, 'phone', 'email', 'weibo', 'wechat', 'online_cs', 'feedback', 'others'),
              IF(CRC32(CONCAT('k', seq)) % 11 = 0, NULL, 1 + CRC32(CONCAT('c', seq)) % 30),
              CRC32(CONCAT('p', seq)) % 4,
              ELT(1 + CRC32(CONCAT('s', seq)) % 20, 'pending', 'remain', 'follow_up', 'forward',
                  'done', 'done', 'done', 'done', 'done', 'done', 'done', 'done', 'done', 'done', 'done', 'done',
                  'done', 'done', 'done', 'done'),
              1 + CRC32(CONCAT('r', seq)) % 50,
              1 + CRC32(CONCAT('h', seq)) % 50,
              IF(CRC32(CONCAT('m', seq)) % 10 = 0, 5 + seq % 50, 0),
              'The rider was late and the food was cold.',
              TIMESTAMP('2024-01-01') + INTERVAL FLOOR(seq * 31536000000 / ${rows}) * 1000 MICROSECOND,
              TIMESTAMP('2024-01-01') + INTERVAL FLOOR(seq * 31536000000 / ${rows}) * 1000 MICROSECOND + INTERVAL ((seq * 7) % 172800) SECOND
         FROM seq_${from}_to_${to}`,
    );
  }
}
