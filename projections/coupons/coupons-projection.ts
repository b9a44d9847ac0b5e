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
    case 'CouponSaleWindowChanged':
    case 'CouponDeactivated':
    case 'CouponReactivated':
    case 'CouponClosed':
    case 'OrderPlaced':
    case 'OrderCancelled':
    case 'OrderUsed':
      return event.data.couponId;
    case 'SeckillAbandoned':
    case 'UserRegistered':
    case 'UserPasswordChanged':
    case 'UserDisabled':
    case 'UserEnabled':
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
      window_revision BIGINT NOT NULL DEFAULT -1,
      coupon_type VARCHAR(16) CHARACTER SET ascii NULL,
      min_spend_cents BIGINT NULL,
      valid_days INT NULL,
      valid_until DATETIME(3) NULL,
      total_stock INT NOT NULL DEFAULT 0,
      stock_revision BIGINT NOT NULL DEFAULT -1,
      inactive TINYINT NOT NULL DEFAULT 0,
      inactive_revision BIGINT NOT NULL DEFAULT -1,
      closed TINYINT NOT NULL DEFAULT 0,
      placed INT NOT NULL DEFAULT 0,
      cancelled INT NOT NULL DEFAULT 0,
      used INT NOT NULL DEFAULT 0
    ) ENGINE=InnoDB`,
    // Tables made before coupons had descriptions gain the column (ensureTables accepts one that exists already).
    `ALTER TABLE ${couponsTable(suffix)} ADD COLUMN description TEXT NULL AFTER name`,
    // And those made before the account-age rule, its column.
    `ALTER TABLE ${couponsTable(suffix)} ADD COLUMN min_account_age_seconds INT NULL AFTER per_user_limit`,
    // And those made before coupon types, usage rules, window changes and deactivation, theirs: one statement each,
    // since a statement naming a column that exists fails whole.
    ...[
      'window_revision BIGINT NOT NULL DEFAULT -1',
      'coupon_type VARCHAR(16) CHARACTER SET ascii NULL',
      'min_spend_cents BIGINT NULL',
      'valid_days INT NULL',
      'valid_until DATETIME(3) NULL',
      'inactive TINYINT NOT NULL DEFAULT 0',
      'inactive_revision BIGINT NOT NULL DEFAULT -1',
    ].map((column) => `ALTER TABLE ${couponsTable(suffix)} ADD COLUMN ${column}`),
  ],
  keyOf: couponOf,
  apply: async (sql: SqlExecutor, events: readonly DecodedEvent[], suffix: string) => {
    const table = couponsTable(suffix);
    for (const { event, recorded } of events) {
      switch (event.type) {
        case 'CouponCreated':
        case 'CouponStockAdded':
        case 'CouponSaleWindowChanged':
        case 'CouponDeactivated':
        case 'CouponReactivated':
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

/**
 * Coupon facts are idempotent and order-free (a replay may feed them twice, in any order): static fields are set;
 * stock, the window and the deactivated flag each follow the newest revision that set them; closing sticks.
 */
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
           min_account_age_seconds = ?, coupon_type = ?, min_spend_cents = ?, valid_days = ?, valid_until = ?,
           total_stock = IF(stock_revision < ?, ?, total_stock), stock_revision = GREATEST(stock_revision, ?)
           WHERE coupon_id = ?`,
        [
          d.name,
          d.description,
          d.faceValueCents,
          d.perUserLimit,
          d.minAccountAgeSeconds,
          d.couponType,
          d.minSpendCents,
          d.validDays,
          d.validUntil === null ? null : new Date(d.validUntil),
          revision.toString(),
          d.totalStock,
          revision.toString(),
          d.couponId,
        ],
      );
      await applyWindow(sql, table, d.couponId, d.saleStartsAt, d.saleEndsAt, revision);
      return;
    }
    case 'CouponSaleWindowChanged': {
      const d = event.data;
      await applyWindow(sql, table, d.couponId, d.saleStartsAt, d.saleEndsAt, revision);
      return;
    }
    case 'CouponDeactivated':
    case 'CouponReactivated':
      // The revision goes last: MySQL assigns left to right, so `inactive` compares against the old one.
      await sql.query(
        `UPDATE ${table} SET inactive = IF(inactive_revision < ?, ?, inactive),
           inactive_revision = GREATEST(inactive_revision, ?) WHERE coupon_id = ?`,
        [
          revision.toString(),
          event.type === 'CouponDeactivated' ? 1 : 0,
          revision.toString(),
          event.data.couponId,
        ],
      );
      return;
    case 'CouponStockAdded':
      await sql.query(
        `UPDATE ${table} SET total_stock = IF(stock_revision < ?, ?, total_stock), stock_revision = GREATEST(stock_revision, ?) WHERE coupon_id = ?`,
        [revision.toString(), event.data.totalStock, revision.toString(), event.data.couponId],
      );
      return;
    case 'CouponClosed':
      await sql.query(`UPDATE ${table} SET closed = 1 WHERE coupon_id = ?`, [event.data.couponId]);
      return;
    default:
      assertNever(event);
  }
};

/** The sale window as of `revision`, unless a newer revision (a later change) set it already. */
const applyWindow = async (
  sql: SqlExecutor,
  table: string,
  couponId: string,
  saleStartsAt: string,
  saleEndsAt: string,
  revision: bigint,
): Promise<void> => {
  await sql.query(
    `UPDATE ${table} SET sale_starts_at = IF(window_revision < ?, ?, sale_starts_at),
       sale_ends_at = IF(window_revision < ?, ?, sale_ends_at), window_revision = GREATEST(window_revision, ?)
       WHERE coupon_id = ?`,
    [
      revision.toString(),
      new Date(saleStartsAt),
      revision.toString(),
      new Date(saleEndsAt),
      revision.toString(),
      couponId,
    ],
  );
};
