import type { RecordedEvent } from '../commands/event-store-port';
import { advanceOrderStatus, buyerShardOf, counterShift, orderFactsOf, orderStateDdl } from './order-status';
import type { Projection } from './projection';
import type { SqlExecutor } from './sql-executor-port';

/** Per buyer and coupon: how many orders are placed, cancelled and used. Sharded by buyer. */
export const statsProjection: Projection = {
  name: 'stats',
  tables: (suffix) => [`user_coupon_stats${suffix}`, `stats_state${suffix}`],
  ddl: (suffix) => [
    orderStateDdl(`stats_state${suffix}`),
    `CREATE TABLE IF NOT EXISTS user_coupon_stats${suffix} (
      user_id VARCHAR(64) CHARACTER SET ascii NOT NULL,
      coupon_id CHAR(36) CHARACTER SET ascii NOT NULL,
      placed INT NOT NULL DEFAULT 0,
      cancelled INT NOT NULL DEFAULT 0,
      used INT NOT NULL DEFAULT 0,
      PRIMARY KEY (user_id, coupon_id)
    ) ENGINE=InnoDB`,
  ],
  shardOf: buyerShardOf,
  apply: async (sql: SqlExecutor, event: RecordedEvent, suffix: string) => {
    const facts = orderFactsOf(event);
    if (!facts) return;
    const { changed, previous } = await advanceOrderStatus(
      sql,
      `stats_state${suffix}`,
      facts.orderId,
      facts.status,
      event.revision,
    );
    if (!changed) return;
    await sql.query(`INSERT IGNORE INTO user_coupon_stats${suffix} (user_id, coupon_id) VALUES (?, ?)`, [
      facts.userId,
      facts.couponId,
    ]);
    await sql.query(
      `UPDATE user_coupon_stats${suffix} SET ${counterShift(previous, facts.status)} WHERE user_id = ? AND coupon_id = ?`,
      [facts.userId, facts.couponId],
    );
  },
};
