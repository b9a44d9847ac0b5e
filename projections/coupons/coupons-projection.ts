import type { DecodedEvent } from '../../commands/stored-events';
import type { CouponEvent } from '../../domain/coupon/coupon-events';
import { assertNever } from '../../domain/shared/event';
import { ADD_COUNTS, advanceOrderStatuses, counterDeltas, orderStateDdl } from '../order-status';
import type { Projection } from '../projection';
import type { SqlExecutor } from '../sql-executor-port';
import { couponsStateTable, couponsTable } from './coupons-tables';

/** The coupon whose row an event changes, or null: coupon events and the orders that count against it. */
const couponOf = ({ event }: DecodedEvent): string | null => {
  switch (event.type) {
    case 'CouponCreated':
    case 'CouponStockAdded':
    case 'CouponClosed':
    case 'OrderPlaced':
    case 'OrderCancelled':
    case 'OrderUsed':
      return event.data.couponId;
    case 'SeckillAbandoned':
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

/** Coupons with their live counts (placed, cancelled, used), sharded by coupon. */
export const couponsProjection: Projection = {
  name: 'coupons',
  tables: (suffix) => [couponsTable(suffix), couponsStateTable(suffix)],
  ddl: (suffix) => [
    orderStateDdl(couponsStateTable(suffix)),
    `CREATE TABLE IF NOT EXISTS ${couponsTable(suffix)} (
      coupon_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
      name VARCHAR(200) NULL,
      description TEXT NULL,
      face_value_cents BIGINT NULL,
      per_user_limit INT NULL,
      min_account_age_seconds INT NULL,
      sale_starts_at DATETIME(3) NULL,
      sale_ends_at DATETIME(3) NULL,
      total_stock INT NOT NULL DEFAULT 0,
      stock_revision BIGINT NOT NULL DEFAULT -1,
      closed TINYINT NOT NULL DEFAULT 0,
      placed INT NOT NULL DEFAULT 0,
      cancelled INT NOT NULL DEFAULT 0,
      used INT NOT NULL DEFAULT 0
    ) ENGINE=InnoDB`,
    // Tables made before coupons had descriptions gain the column (ensureTables accepts one that exists already).
    `ALTER TABLE ${couponsTable(suffix)} ADD COLUMN description TEXT NULL AFTER name`,
    // And those made before the account-age rule, its column.
    `ALTER TABLE ${couponsTable(suffix)} ADD COLUMN min_account_age_seconds INT NULL AFTER per_user_limit`,
  ],
  keyOf: couponOf,
  apply: async (sql: SqlExecutor, events: readonly DecodedEvent[], suffix: string) => {
    const table = couponsTable(suffix);
    for (const { event, recorded } of events) {
      switch (event.type) {
        case 'CouponCreated':
        case 'CouponStockAdded':
        case 'CouponClosed':
          await applyCouponEvent(sql, table, event, recorded.revision);
      }
    }
    const transitions = await advanceOrderStatuses(sql, couponsStateTable(suffix), events);
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
        `UPDATE ${table} SET name = ?, description = ?, face_value_cents = ?, per_user_limit = ?,
           min_account_age_seconds = ?, sale_starts_at = ?, sale_ends_at = ?, total_stock = IF(stock_revision < ?, ?, total_stock),
           stock_revision = GREATEST(stock_revision, ?) WHERE coupon_id = ?`,
        [
          d.name,
          d.description,
          d.faceValueCents,
          d.perUserLimit,
          d.minAccountAgeSeconds,
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
    case 'CouponSaleWindowChanged':
    case 'CouponDeactivated':
    case 'CouponReactivated':
      return;
    default:
      assertNever(event);
  }
};
