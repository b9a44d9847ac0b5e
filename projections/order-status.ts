import type { DecodedEvent } from '../commands/stored-events';
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

/** One order as a batch of events left it. */
export interface OrderInBatch {
  /** The facts of its newest event in the batch. */
  readonly facts: OrderFacts;
  readonly revision: bigint;
  /** When it was placed, if its OrderPlaced event is in the batch. */
  readonly placedAt: Date | null;
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
    const placedAt = decoded.event.type === 'OrderPlaced' ? new Date(decoded.event.data.placedAt) : null;
    const seen = orders.get(facts.orderId);
    const newest = !seen || event.revision > seen.revision;
    orders.set(facts.orderId, {
      facts: newest ? facts : seen.facts,
      revision: newest ? event.revision : seen.revision,
      placedAt: placedAt ?? seen?.placedAt ?? null,
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
}

const COUNTER: Record<OrderStatus, keyof StatusCounts> = {
  PLACED: 'placed',
  CANCELLED: 'cancelled',
  USED: 'used',
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
    const entry = deltas.get(key) ?? { facts: t.facts, counts: { placed: 0, cancelled: 0, used: 0 } };
    if (t.before) entry.counts[COUNTER[t.before]] -= 1;
    entry.counts[COUNTER[t.after]] += 1;
    deltas.set(key, entry);
  }
  return deltas;
};

/** `ON DUPLICATE KEY UPDATE` clause adding a multi-row insert's counts to the stored ones. */
export const ADD_COUNTS =
  'placed = placed + VALUES(placed), cancelled = cancelled + VALUES(cancelled), used = used + VALUES(used)';
