import type { DecodedEvent } from '../../commands/stored-events';
import type { ReservationStatus } from '../../domain/reservation/reservation-decider';
import type { ReservationEvent } from '../../domain/reservation/reservation-events';
import { assertNever } from '../../domain/shared/event';
import type { Projection } from '../projection';
import type { SqlExecutor } from '../sql-executor-port';
import { reservationsTable } from './reservations-tables';

interface ReservationRow {
  readonly reservationId: string;
  readonly userId: string;
  readonly couponId: string;
  status: ReservationStatus;
  orderId: string | null;
  code: string | null;
  reservedAt: Date | null;
  placedPosition: bigint | null;
  updatedAt: Date;
  position: bigint;
  revision: bigint;
}

/** The status a reservation event leaves its reservation in, with what it names. */
const factsOf = (
  event: ReservationEvent,
): { status: ReservationStatus; orderId: string | null; code: string | null } => {
  switch (event.type) {
    case 'ReservationPlaced':
      return { status: 'PENDING', orderId: null, code: null };
    case 'ReservationFiring':
      return { status: 'FIRING', orderId: event.data.orderId, code: null };
    case 'ReservationSucceeded':
      return { status: 'SUCCEEDED', orderId: event.data.orderId, code: null };
    case 'ReservationFailed':
      return { status: 'FAILED', orderId: null, code: event.data.code };
    case 'ReservationCancelled':
      return { status: 'CANCELLED', orderId: null, code: null };
    case 'ReservationExpired':
      return { status: 'EXPIRED', orderId: null, code: event.data.reason };
    default:
      return assertNever(event);
  }
};

const reservationEventOf = ({ event }: DecodedEvent): ReservationEvent | null => {
  switch (event.type) {
    case 'ReservationPlaced':
    case 'ReservationFiring':
    case 'ReservationSucceeded':
    case 'ReservationFailed':
    case 'ReservationCancelled':
    case 'ReservationExpired':
      return event;
    case 'OrderPlaced':
    case 'OrderCancelled':
    case 'OrderUsed':
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
    case 'UserPasswordChanged':
    case 'UserDisabled':
    case 'UserEnabled':
    case 'NotificationRead':
    case 'NotificationsReadUpTo':
      return null;
    default:
      return assertNever(event);
  }
};

/** Collapses a batch to one row per reservation: its newest revision's status, whatever order the events came in. */
const rowsOf = (events: readonly DecodedEvent[]): ReservationRow[] => {
  const rows = new Map<string, ReservationRow>();
  for (const decoded of events) {
    const event = reservationEventOf(decoded);
    if (!event) continue;
    const { recorded } = decoded;
    const facts = factsOf(event);
    const placed = event.type === 'ReservationPlaced';
    const seen = rows.get(event.data.reservationId);
    if (!seen) {
      rows.set(event.data.reservationId, {
        reservationId: event.data.reservationId,
        userId: event.data.userId,
        couponId: event.data.couponId,
        ...facts,
        reservedAt: placed ? new Date(event.data.reservedAt) : null,
        placedPosition: placed ? recorded.position : null,
        updatedAt: recorded.recordedAt,
        position: recorded.position,
        revision: recorded.revision,
      });
      continue;
    }
    if (placed) {
      seen.reservedAt = new Date(event.data.reservedAt);
      seen.placedPosition = recorded.position;
    }
    if (recorded.revision > seen.revision) {
      seen.status = facts.status;
      seen.orderId = facts.orderId ?? seen.orderId;
      seen.code = facts.code;
      seen.updatedAt = recorded.recordedAt;
      seen.revision = recorded.revision;
    }
    if (recorded.position > seen.position) seen.position = recorded.position;
  }
  return [...rows.values()];
};

/**
 * Reservations, sharded by buyer like orders: a buyer's reservations live together, and a reservation id names its
 * shard (its last four hex digits). Each row is its reservation's newest revision, whatever order and however many
 * times events arrive. The firer reads the live ones of a coupon in line order (`placed_position`, the log position of
 * ReservationPlaced) from every shard.
 */
export const reservationsProjection: Projection = {
  name: 'reservations',
  tables: (suffix) => [reservationsTable(suffix)],
  ddl: (suffix) => [
    `CREATE TABLE IF NOT EXISTS ${reservationsTable(suffix)} (
      reservation_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
      user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      coupon_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      status VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      order_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
      code VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
      reserved_at DATETIME(3) NULL,
      placed_position BIGINT NULL,
      updated_at DATETIME(3) NOT NULL,
      position BIGINT NOT NULL,
      revision BIGINT NOT NULL,
      KEY by_user (user_id, placed_position),
      KEY by_coupon (coupon_id, status, placed_position),
      KEY live (status, coupon_id)
    ) ENGINE=InnoDB`,
  ],
  keyOf: (decoded) => reservationEventOf(decoded)?.data.userId ?? null,
  apply: async (sql: SqlExecutor, events: readonly DecodedEvent[], suffix: string) => {
    const rows = rowsOf(events);
    if (rows.length === 0) return;
    // Assignments run left to right: `revision` last, so every condition above sees the stored one.
    await sql.query(
      `INSERT INTO ${reservationsTable(suffix)} (reservation_id, user_id, coupon_id, status, order_id, code,
         reserved_at, placed_position, updated_at, position, revision) VALUES ?
       ON DUPLICATE KEY UPDATE
         reserved_at = COALESCE(reserved_at, VALUES(reserved_at)),
         placed_position = COALESCE(placed_position, VALUES(placed_position)),
         status = IF(VALUES(revision) > revision, VALUES(status), status),
         order_id = IF(VALUES(revision) > revision, COALESCE(VALUES(order_id), order_id), order_id),
         code = IF(VALUES(revision) > revision, VALUES(code), code),
         updated_at = IF(VALUES(revision) > revision, VALUES(updated_at), updated_at),
         position = GREATEST(position, VALUES(position)),
         revision = GREATEST(revision, VALUES(revision))`,
      [
        rows.map((r) => [
          r.reservationId,
          r.userId,
          r.couponId,
          r.status,
          r.orderId,
          r.code,
          r.reservedAt,
          r.placedPosition?.toString() ?? null,
          r.updatedAt,
          r.position.toString(),
          r.revision.toString(),
        ]),
      ],
    );
  },
};
