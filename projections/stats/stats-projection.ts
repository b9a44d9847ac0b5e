import type { DecodedEvent } from '../../commands/stored-events';
import { assertNever } from '../../domain/shared/event';
import { ADD_COUNTS, advanceOrderStatuses, counterDeltas, orderStateDdl } from '../order-status';
import type { Projection } from '../projection';
import type { SqlExecutor } from '../sql-executor-port';
import { statsStateTable, statsTable } from './stats-tables';

/** The buyer whose statistics an event changes, or null. */
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

/** Per buyer and coupon: how many orders are placed, cancelled and used. Sharded by buyer. */
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
      PRIMARY KEY (user_id, coupon_id)
    ) ENGINE=InnoDB`,
    // User ids are case-sensitive: tables made with the case-insensitive default collation are corrected.
    `ALTER TABLE ${statsTable(suffix)} MODIFY user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL`,
  ],
  keyOf: buyerOf,
  apply: async (sql: SqlExecutor, events: readonly DecodedEvent[], suffix: string) => {
    const transitions = await advanceOrderStatuses(sql, statsStateTable(suffix), events);
    const deltas = counterDeltas(transitions, (f) => `${f.userId}\u0000${f.couponId}`);
    if (deltas.size === 0) return;
    await sql.query(
      `INSERT INTO ${statsTable(suffix)} (user_id, coupon_id, placed, cancelled, used) VALUES ?
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
