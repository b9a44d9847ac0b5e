import type { DecodedEvent } from '../../commands/stored-events';
import { assertNever } from '../../domain/shared/event';
import { advanceOrderStatuses, orderStateDdl } from '../order-status';
import type { Projection } from '../projection';
import type { SqlExecutor } from '../sql-executor-port';
import { ordersStateTable, ordersTable } from './orders-tables';

/** The buyer whose shard an event changes, or null: orders live with their buyer. */
const buyerOf = ({ event }: DecodedEvent): string | null => {
  switch (event.type) {
    case 'OrderPlaced':
    case 'OrderCancelled':
    case 'OrderUsed':
      return event.data.userId;
    case 'SeckillAbandoned':
    case 'CouponCreated':
    case 'CouponStockAdded':
    case 'CouponClosed':
    case 'UserRegistered':
    case 'CouponSaleWindowChanged':
    case 'CouponDeactivated':
    case 'CouponReactivated':
    case 'OrderExpiryNoticed':
    case 'OrderExpired':
    case 'ReservationPlaced':
    case 'ReservationFiring':
    case 'ReservationSucceeded':
    case 'ReservationFailed':
    case 'ReservationCancelled':
    case 'ReservationExpired':
    case 'NotificationRead':
    case 'NotificationsReadUpTo':
      return null;
    default:
      return assertNever(event);
  }
};

/** Orders, sharded by buyer: a buyer's orders live together, and an order id names its shard. */
export const ordersProjection: Projection = {
  name: 'orders',
  tables: (suffix) => [ordersTable(suffix), ordersStateTable(suffix)],
  ddl: (suffix) => [
    orderStateDdl(ordersStateTable(suffix)),
    `CREATE TABLE IF NOT EXISTS ${ordersTable(suffix)} (
      order_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
      user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      coupon_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      status VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      placed_at DATETIME(3) NULL,
      updated_at DATETIME(3) NOT NULL,
      position BIGINT NOT NULL,
      KEY by_user (user_id, order_id),
      KEY by_user_status (user_id, status, order_id)
    ) ENGINE=InnoDB`,
    // User ids are case-sensitive: tables made with the case-insensitive default collation are corrected.
    `ALTER TABLE ${ordersTable(suffix)} MODIFY user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL`,
  ],
  keyOf: buyerOf,
  apply: async (sql: SqlExecutor, events: readonly DecodedEvent[], suffix: string) => {
    const transitions = await advanceOrderStatuses(sql, ordersStateTable(suffix), events);
    const rows = transitions.filter((t) => t.before !== t.after || t.placedAt);
    if (rows.length === 0) return;
    await sql.query(
      `INSERT INTO ${ordersTable(suffix)} (order_id, user_id, coupon_id, status, placed_at, updated_at, position) VALUES ?
       ON DUPLICATE KEY UPDATE status = VALUES(status), placed_at = COALESCE(placed_at, VALUES(placed_at)),
         updated_at = GREATEST(updated_at, VALUES(updated_at)), position = GREATEST(position, VALUES(position))`,
      [
        rows.map((t) => [
          t.facts.orderId,
          t.facts.userId,
          t.facts.couponId,
          t.after,
          t.placedAt,
          t.recordedAt,
          t.position.toString(),
        ]),
      ],
    );
  },
};
