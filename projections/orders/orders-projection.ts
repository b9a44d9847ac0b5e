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
    case 'OrderExpiryNoticed':
    case 'OrderExpired':
      return event.data.userId;
    case 'SeckillAbandoned':
    case 'CouponCreated':
    case 'CouponStockAdded':
    case 'CouponClosed':
    case 'UserRegistered':
    case 'UserPasswordChanged':
    case 'UserDisabled':
    case 'UserEnabled':
    case 'CouponSaleWindowChanged':
    case 'CouponDeactivated':
    case 'CouponReactivated':
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

/**
 * Orders, sharded by buyer: a buyer's orders live together, and an order id names its shard. Besides what the APIs
 * show, it is the expiry process's index of due orders: placed orders by `valid_until` (KEY due_expiry), and those
 * not yet noticed (KEY due_notice), so a sweep reads only the orders it acts on, never the log (README, "Order
 * lifecycle"). `placed_at, order_id` orders the administrators' listing across shards (KEY by_placed, and
 * by_coupon_placed for one coupon's).
 */
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
      coupon_type VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NULL,
      min_spend_cents BIGINT NULL,
      valid_until DATETIME(3) NULL,
      expired_at DATETIME(3) NULL,
      expiry_noticed_at DATETIME(3) NULL,
      KEY by_user (user_id, order_id),
      KEY by_user_status (user_id, status, order_id),
      KEY due_expiry (status, valid_until),
      KEY due_notice (status, expiry_noticed_at, valid_until),
      KEY by_placed (placed_at, order_id),
      KEY by_coupon_placed (coupon_id, placed_at, order_id)
    ) ENGINE=InnoDB`,
    // User ids are case-sensitive: tables made with the case-insensitive default collation are corrected.
    `ALTER TABLE ${ordersTable(suffix)} MODIFY user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL`,
    // Tables made before the order lifecycle had validity and expiry gain their columns and indexes (ensureTables
    // accepts those that exist already). Orders placed before then are valid for ever: NULL is their truth.
    ...[
      'coupon_type VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NULL',
      'min_spend_cents BIGINT NULL',
      'valid_until DATETIME(3) NULL',
      'expired_at DATETIME(3) NULL',
      'expiry_noticed_at DATETIME(3) NULL',
    ].map((column) => `ALTER TABLE ${ordersTable(suffix)} ADD COLUMN ${column}`),
    ...[
      'due_expiry (status, valid_until)',
      'due_notice (status, expiry_noticed_at, valid_until)',
      'by_placed (placed_at, order_id)',
      'by_coupon_placed (coupon_id, placed_at, order_id)',
    ].map((key) => `ALTER TABLE ${ordersTable(suffix)} ADD KEY ${key}`),
  ],
  keyOf: buyerOf,
  apply: async (sql: SqlExecutor, events: readonly DecodedEvent[], suffix: string) => {
    const transitions = await advanceOrderStatuses(sql, ordersStateTable(suffix), events);
    // Facts fixed by one event each (placement, expiry, notice) are set once, whenever that event arrives.
    const rows = transitions.filter((t) => t.before !== t.after || t.placedAt || t.expiredAt || t.noticedAt);
    if (rows.length === 0) return;
    await sql.query(
      `INSERT INTO ${ordersTable(suffix)} (order_id, user_id, coupon_id, status, placed_at, updated_at, position,
         coupon_type, min_spend_cents, valid_until, expired_at, expiry_noticed_at) VALUES ?
       ON DUPLICATE KEY UPDATE status = VALUES(status), placed_at = COALESCE(placed_at, VALUES(placed_at)),
         updated_at = GREATEST(updated_at, VALUES(updated_at)), position = GREATEST(position, VALUES(position)),
         coupon_type = COALESCE(coupon_type, VALUES(coupon_type)),
         min_spend_cents = COALESCE(min_spend_cents, VALUES(min_spend_cents)),
         valid_until = COALESCE(valid_until, VALUES(valid_until)),
         expired_at = COALESCE(expired_at, VALUES(expired_at)),
         expiry_noticed_at = COALESCE(expiry_noticed_at, VALUES(expiry_noticed_at))`,
      [
        rows.map((t) => [
          t.facts.orderId,
          t.facts.userId,
          t.facts.couponId,
          t.after,
          t.placedAt,
          t.recordedAt,
          t.position.toString(),
          t.placed?.couponType ?? null,
          t.placed?.minSpendCents ?? null,
          t.placed?.validUntil ?? null,
          t.expiredAt,
          t.noticedAt,
        ]),
      ],
    );
  },
};
