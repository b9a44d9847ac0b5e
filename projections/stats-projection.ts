import type { RecordedEvent } from '../commands/event-store-port';
import { ADD_COUNTS, advanceOrderStatuses, buyerShardOf, counterDeltas, orderStateDdl } from './order-status';
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
  apply: async (sql: SqlExecutor, events: readonly RecordedEvent[], suffix: string) => {
    const transitions = await advanceOrderStatuses(sql, `stats_state${suffix}`, events);
    const deltas = counterDeltas(transitions, (f) => `${f.userId}\u0000${f.couponId}`);
    if (deltas.size === 0) return;
    await sql.query(
      `INSERT INTO user_coupon_stats${suffix} (user_id, coupon_id, placed, cancelled, used) VALUES ?
       ON DUPLICATE KEY UPDATE ${ADD_COUNTS}`,
      [
        [...deltas.values()].map(({ facts, counts }) => [
          facts.userId,
          facts.couponId,
          counts.placed,
          counts.cancelled,
          counts.used,
        ]),
      ],
    );
  },
};
