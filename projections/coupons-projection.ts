import type { RecordedEvent } from '../commands/event-store-port';
import type { CouponEvent } from '../domain/coupon/coupon-events';
import { shardOfKey } from '../domain/shared/shard-key';
import { ADD_COUNTS, advanceOrderStatuses, counterDeltas, orderFactsOf, orderStateDdl } from './order-status';
import type { Projection } from './projection';
import type { SqlExecutor } from './sql-executor-port';

const couponIdOf = (event: RecordedEvent): string | null => {
  if (event.streamId.startsWith('coupon-')) return (event.data as { couponId: string }).couponId;
  return orderFactsOf(event)?.couponId ?? null;
};

/** Coupons with their live counts (placed, cancelled, used), sharded by coupon. */
export const couponsProjection: Projection = {
  name: 'coupons',
  tables: (suffix) => [`coupons${suffix}`, `coupons_state${suffix}`],
  ddl: (suffix) => [
    orderStateDdl(`coupons_state${suffix}`),
    `CREATE TABLE IF NOT EXISTS coupons${suffix} (
      coupon_id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
      name VARCHAR(200) NULL,
      face_value_cents BIGINT NULL,
      per_user_limit INT NULL,
      sale_starts_at DATETIME(3) NULL,
      sale_ends_at DATETIME(3) NULL,
      total_stock INT NOT NULL DEFAULT 0,
      stock_revision BIGINT NOT NULL DEFAULT -1,
      closed TINYINT NOT NULL DEFAULT 0,
      placed INT NOT NULL DEFAULT 0,
      cancelled INT NOT NULL DEFAULT 0,
      used INT NOT NULL DEFAULT 0
    ) ENGINE=InnoDB`,
  ],
  shardOf: (event: RecordedEvent, shards: number) => {
    const couponId = couponIdOf(event);
    return couponId ? shardOfKey(couponId, shards) : null;
  },
  apply: async (sql: SqlExecutor, events: readonly RecordedEvent[], suffix: string) => {
    const table = `coupons${suffix}`;
    for (const event of events)
      if (event.streamId.startsWith('coupon-'))
        await applyCouponEvent(
          sql,
          table,
          { type: event.type, data: event.data } as CouponEvent,
          event.revision,
        );
    const transitions = await advanceOrderStatuses(sql, `coupons_state${suffix}`, events);
    const deltas = counterDeltas(transitions, (f) => f.couponId);
    if (deltas.size === 0) return;
    await sql.query(
      `INSERT INTO ${table} (coupon_id, placed, cancelled, used) VALUES ? ON DUPLICATE KEY UPDATE ${ADD_COUNTS}`,
      [
        [...deltas.values()].map(({ facts, counts }) => [
          facts.couponId,
          counts.placed,
          counts.cancelled,
          counts.used,
        ]),
      ],
    );
  },
};

/** Coupon facts are idempotent by nature: static fields are set, stock follows the newest revision, closing sticks. */
const applyCouponEvent = async (
  sql: SqlExecutor,
  table: string,
  event: CouponEvent,
  revision: bigint,
): Promise<void> => {
  await sql.query(`INSERT IGNORE INTO ${table} (coupon_id) VALUES (?)`, [event.data.couponId]);
  switch (event.type) {
    case 'CouponCreated': {
      const d = event.data;
      await sql.query(
        `UPDATE ${table} SET name = ?, face_value_cents = ?, per_user_limit = ?, sale_starts_at = ?, sale_ends_at = ?,
           total_stock = IF(stock_revision < ?, ?, total_stock), stock_revision = GREATEST(stock_revision, ?) WHERE coupon_id = ?`,
        [
          d.name,
          d.faceValueCents,
          d.perUserLimit,
          new Date(d.saleStartsAt),
          new Date(d.saleEndsAt),
          revision.toString(),
          d.totalStock,
          revision.toString(),
          d.couponId,
        ],
      );
      return;
    }
    case 'CouponStockAdded':
      await sql.query(
        `UPDATE ${table} SET total_stock = IF(stock_revision < ?, ?, total_stock), stock_revision = GREATEST(stock_revision, ?) WHERE coupon_id = ?`,
        [revision.toString(), event.data.totalStock, revision.toString(), event.data.couponId],
      );
      return;
    case 'CouponClosed':
      await sql.query(`UPDATE ${table} SET closed = 1 WHERE coupon_id = ?`, [event.data.couponId]);
      return;
  }
};
