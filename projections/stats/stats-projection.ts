import type { DecodedEvent } from '../../commands/stored-events';
import { assertNever } from '../../domain/shared/event';
import type { CouponType } from '../../domain/coupon/coupon-events';
import {
  ADD_COUNTS_WITH_EXPIRED,
  advanceOrderStatuses,
  counterDeltas,
  orderStateDdl,
  type OrderFacts,
  type StatusCounts,
} from '../order-status';
import type { Projection } from '../projection';
import type { SqlExecutor } from '../sql-executor-port';
import { statsStateTable, statsTable } from './stats-tables';

/** The buyer whose statistics an event changes, or null. */
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

const keyOfFacts = (f: OrderFacts): string => `${f.userId}\u0000${f.couponId}`;

/**
 * Per buyer and coupon: how many orders are placed, cancelled, used and expired (each order in exactly one), and the
 * coupon's type, from the first of its orders' OrderPlaced to arrive (a coupon's type never changes), which makes all
 * of them seckill or regular orders (stats-queries.ts). Sharded by buyer.
 */
export const statsProjection: Projection = {
  name: 'stats',
  tables: (suffix) => [statsTable(suffix), statsStateTable(suffix)],
  ddl: (suffix) => [
    orderStateDdl(statsStateTable(suffix)),
    `CREATE TABLE IF NOT EXISTS ${statsTable(suffix)} (
      user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      coupon_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      placed INT NOT NULL DEFAULT 0,
      cancelled INT NOT NULL DEFAULT 0,
      used INT NOT NULL DEFAULT 0,
      expired INT NOT NULL DEFAULT 0,
      coupon_type VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NULL,
      PRIMARY KEY (user_id, coupon_id)
    ) ENGINE=InnoDB`,
    // User ids are case-sensitive: tables made with the case-insensitive default collation are corrected.
    `ALTER TABLE ${statsTable(suffix)} MODIFY user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL`,
    // Tables made before expiry and coupon types gain their columns (a replay fills coupon_type for older rows).
    `ALTER TABLE ${statsTable(suffix)} ADD COLUMN expired INT NOT NULL DEFAULT 0 AFTER used`,
    `ALTER TABLE ${statsTable(suffix)} ADD COLUMN coupon_type VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NULL`,
  ],
  keyOf: buyerOf,
  apply: async (sql: SqlExecutor, events: readonly DecodedEvent[], suffix: string) => {
    const transitions = await advanceOrderStatuses(sql, statsStateTable(suffix), events);
    const rows = new Map<
      string,
      { facts: OrderFacts; counts: StatusCounts; couponType: CouponType | null }
    >();
    for (const [key, delta] of counterDeltas(transitions, keyOfFacts))
      rows.set(key, { ...delta, couponType: null });
    // The type is set by any OrderPlaced, counted or not (it may arrive after a later event of its order).
    for (const t of transitions) {
      if (!t.placed) continue;
      const key = keyOfFacts(t.facts);
      const row = rows.get(key) ?? {
        facts: t.facts,
        counts: { placed: 0, cancelled: 0, used: 0, expired: 0 },
        couponType: null,
      };
      rows.set(key, { ...row, couponType: t.placed.couponType });
    }
    if (rows.size === 0) return;
    await sql.query(
      `INSERT INTO ${statsTable(suffix)} (user_id, coupon_id, placed, cancelled, used, expired, coupon_type) VALUES ?
       ON DUPLICATE KEY UPDATE ${ADD_COUNTS_WITH_EXPIRED}, coupon_type = COALESCE(coupon_type, VALUES(coupon_type))`,
      [
        [...rows.values()].map(({ facts, counts, couponType }) => [
          facts.userId,
          facts.couponId,
          counts.placed,
          counts.cancelled,
          counts.used,
          counts.expired,
          couponType,
        ]),
      ],
    );
  },
};
