import type { DecodedEvent } from '../commands/stored-events';
import type { CouponType } from '../domain/coupon/coupon-events';
import type { OrderStatus } from '../domain/order/order-decider';
import { assertNever } from '../domain/shared/event';
import type { SqlExecutor } from './sql-executor-port';

export type { OrderStatus };

export interface OrderFacts {
  readonly orderId: string;
  readonly couponId: string;
  readonly userId: string;
  readonly status: OrderStatus;
}

/** What an order event says about its order, or null for events that do not change an order's status. */
export const orderFactsOf = ({ event }: DecodedEvent): OrderFacts | null => {
  switch (event.type) {
    case 'OrderPlaced':
      return { ...refOf(event.data), status: 'PLACED' };
    case 'OrderCancelled':
      return { ...refOf(event.data), status: 'CANCELLED' };
    case 'OrderUsed':
      return { ...refOf(event.data), status: 'USED' };
    case 'OrderExpired':
      return { ...refOf(event.data), status: 'EXPIRED' };
    // Noticed only while placed (the decider's rule): as the order's newest event, it says it is placed.
    case 'OrderExpiryNoticed':
      return { ...refOf(event.data), status: 'PLACED' };
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

const refOf = ({ orderId, couponId, userId }: { orderId: string; couponId: string; userId: string }) => ({
  orderId,
  couponId,
  userId,
});

export const orderStateDdl = (table: string): string =>
  `CREATE TABLE IF NOT EXISTS ${table} (
    order_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    status VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    revision BIGINT NOT NULL
  ) ENGINE=InnoDB`;

/** What an order's OrderPlaced fixed for good: set once in a read model, whenever that event arrives. */
export interface PlacedFacts {
  readonly couponType: CouponType;
  readonly minSpendCents: number;
  /** null: valid for ever. */
  readonly validUntil: Date | null;
}

/** One order as a batch of events left it. */
export interface OrderInBatch {
  /** The facts of its newest event in the batch. */
  readonly facts: OrderFacts;
  readonly revision: bigint;
  /** When it was placed, if its OrderPlaced event is in the batch. */
  readonly placedAt: Date | null;
  /** The rest of what its OrderPlaced says, if that event is in the batch. */
  readonly placed: PlacedFacts | null;
  /** When it expired, if its OrderExpired event is in the batch. */
  readonly expiredAt: Date | null;
  /** When its coming expiry was noticed, if its OrderExpiryNoticed event is in the batch. */
  readonly noticedAt: Date | null;
  readonly recordedAt: Date;
  readonly position: bigint;
}

/** Collapses a batch to one entry per order: its newest event wins, whatever order the events came in. */
export const ordersInBatch = (events: readonly DecodedEvent[]): OrderInBatch[] => {
  const orders = new Map<string, OrderInBatch>();
  for (const decoded of events) {
    const facts = orderFactsOf(decoded);
    if (!facts) continue;
    const event = decoded.recorded;
    const domain = decoded.event;
    const placedAt = domain.type === 'OrderPlaced' ? new Date(domain.data.placedAt) : null;
    const placed: PlacedFacts | null =
      domain.type === 'OrderPlaced'
        ? {
            couponType: domain.data.couponType,
            minSpendCents: domain.data.minSpendCents,
            validUntil: domain.data.validUntil === null ? null : new Date(domain.data.validUntil),
          }
        : null;
    const expiredAt = domain.type === 'OrderExpired' ? new Date(domain.data.expiredAt) : null;
    const noticedAt = domain.type === 'OrderExpiryNoticed' ? new Date(domain.data.noticedAt) : null;
    const seen = orders.get(facts.orderId);
    const newest = !seen || event.revision > seen.revision;
    orders.set(facts.orderId, {
      facts: newest ? facts : seen.facts,
      revision: newest ? event.revision : seen.revision,
      placedAt: placedAt ?? seen?.placedAt ?? null,
      placed: placed ?? seen?.placed ?? null,
      expiredAt: expiredAt ?? seen?.expiredAt ?? null,
      noticedAt: noticedAt ?? seen?.noticedAt ?? null,
      recordedAt: seen && seen.recordedAt > event.recordedAt ? seen.recordedAt : event.recordedAt,
      position: seen && seen.position > event.position ? seen.position : event.position,
    });
  }
  return [...orders.values()];
};

/** An order's status before and after a batch; `before` is null for an order the read model had not seen. */
export interface OrderTransition extends OrderInBatch {
  readonly before: OrderStatus | null;
  readonly after: OrderStatus;
}

/**
 * Moves each order of the batch to the status of its newest event, unless the read model already holds a newer or
 * equal revision of it: one locking read and one upsert for the whole batch. Applying an order's events in any
 * order, any number of times, ends in the status of its newest event, counted once.
 */
export const advanceOrderStatuses = async (
  sql: SqlExecutor,
  table: string,
  events: readonly DecodedEvent[],
): Promise<OrderTransition[]> => {
  const orders = ordersInBatch(events);
  if (orders.length === 0) return [];
  const stored = new Map(
    (
      await sql.query<{ order_id: string; status: OrderStatus; revision: string }>(
        // By the primary key only: a locking read waits for every row it scans, and a scan of a small table would
        // wait for rows another replica's partition holds.
        `SELECT order_id, status, revision FROM ${table} FORCE INDEX (PRIMARY) WHERE order_id IN (?) FOR UPDATE`,
        [orders.map((o) => o.facts.orderId)],
      )
    ).map((row) => [row.order_id, row]),
  );
  const advanced: OrderTransition[] = [];
  const transitions = orders.map((order): OrderTransition => {
    const row = stored.get(order.facts.orderId);
    const newer = !row || BigInt(row.revision) < order.revision;
    const transition = {
      ...order,
      before: row?.status ?? null,
      after: newer ? order.facts.status : row.status,
    };
    if (newer) advanced.push(transition);
    return transition;
  });
  if (advanced.length > 0)
    await sql.query(
      `INSERT INTO ${table} (order_id, status, revision) VALUES ?
       ON DUPLICATE KEY UPDATE status = VALUES(status), revision = VALUES(revision)`,
      [advanced.map((t) => [t.facts.orderId, t.after, t.revision.toString()])],
    );
  return transitions;
};

export interface StatusCounts {
  placed: number;
  cancelled: number;
  used: number;
  expired: number;
}

const COUNTER: Record<OrderStatus, keyof StatusCounts> = {
  PLACED: 'placed',
  CANCELLED: 'cancelled',
  USED: 'used',
  EXPIRED: 'expired',
};

/** Net change of the status counters per key, from the orders whose status moved. */
export const counterDeltas = (
  transitions: readonly OrderTransition[],
  keyOf: (facts: OrderFacts) => string,
): Map<string, { facts: OrderFacts; counts: StatusCounts }> => {
  const deltas = new Map<string, { facts: OrderFacts; counts: StatusCounts }>();
  for (const t of transitions) {
    if (t.before === t.after) continue;
    const key = keyOf(t.facts);
    const entry = deltas.get(key) ?? {
      facts: t.facts,
      counts: { placed: 0, cancelled: 0, used: 0, expired: 0 },
    };
    if (t.before) entry.counts[COUNTER[t.before]] -= 1;
    entry.counts[COUNTER[t.after]] += 1;
    deltas.set(key, entry);
  }
  return deltas;
};

/**
 * `ON DUPLICATE KEY UPDATE` clause adding a multi-row insert's placed, cancelled and used counts to the stored ones.
 * (The coupons read model takes no expiry events, so an expired order stays counted there as the placed unit it
 * holds: expiry returns no stock.)
 */
export const ADD_COUNTS =
  'placed = placed + VALUES(placed), cancelled = cancelled + VALUES(cancelled), used = used + VALUES(used)';

/** ADD_COUNTS and the expired count: the per-user statistics. */
export const ADD_COUNTS_WITH_EXPIRED = `${ADD_COUNTS}, expired = expired + VALUES(expired)`;
