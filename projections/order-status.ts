import type { RecordedEvent } from '../commands/event-store-port';
import { shardOfKey } from '../domain/shared/shard-key';
import type { SqlExecutor } from './sql-executor-port';

export type OrderStatus = 'PLACED' | 'CANCELLED' | 'USED';

export interface OrderFacts {
  readonly orderId: string;
  readonly couponId: string;
  readonly userId: string;
  readonly status: OrderStatus;
}

const STATUS_BY_EVENT: Record<string, OrderStatus | undefined> = {
  OrderPlaced: 'PLACED',
  OrderCancelled: 'CANCELLED',
  OrderUsed: 'USED',
};

/** What an order event says about its order, or null for events that do not change an order's status. */
export const orderFactsOf = (event: RecordedEvent): OrderFacts | null => {
  const status = STATUS_BY_EVENT[event.type];
  if (!status) return null;
  const data = event.data as { orderId: string; couponId: string; userId: string };
  return { orderId: data.orderId, couponId: data.couponId, userId: data.userId, status };
};

export const orderStateDdl = (table: string): string =>
  `CREATE TABLE IF NOT EXISTS ${table} (
    order_id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
    status VARCHAR(16) CHARACTER SET ascii NOT NULL,
    revision BIGINT NOT NULL
  ) ENGINE=InnoDB`;

/**
 * Moves an order's recorded status to the event's, unless a newer or equal revision of that order was applied already.
 * Returns the status it replaced (null for a new order) and whether anything changed. Applying the events of an order
 * in any order, any number of times, ends in the status of its newest event, counted once.
 */
export const advanceOrderStatus = async (
  sql: SqlExecutor,
  table: string,
  orderId: string,
  status: OrderStatus,
  revision: bigint,
): Promise<{ changed: boolean; previous: OrderStatus | null }> => {
  const [row] = await sql.query<{ status: OrderStatus; revision: string }>(
    `SELECT status, revision FROM ${table} WHERE order_id = ? FOR UPDATE`,
    [orderId],
  );
  if (row && BigInt(row.revision) >= revision) return { changed: false, previous: row.status };
  await sql.query(
    `INSERT INTO ${table} (order_id, status, revision) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE status = VALUES(status), revision = VALUES(revision)`,
    [orderId, status, revision.toString()],
  );
  return { changed: row?.status !== status, previous: row?.status ?? null };
};

export const COUNTER_COLUMN: Record<OrderStatus, 'placed' | 'cancelled' | 'used'> = {
  PLACED: 'placed',
  CANCELLED: 'cancelled',
  USED: 'used',
};

/** `SET` clause moving one order from its previous status counter to its new one. */
export const counterShift = (previous: OrderStatus | null, current: OrderStatus): string =>
  [
    previous ? `${COUNTER_COLUMN[previous]} = ${COUNTER_COLUMN[previous]} - 1` : null,
    `${COUNTER_COLUMN[current]} = ${COUNTER_COLUMN[current]} + 1`,
  ]
    .filter(Boolean)
    .join(', ');

/** Read models sharded by buyer route an order event to its buyer's shard. */
export const buyerShardOf = (event: RecordedEvent, shards: number): number | null => {
  const facts = orderFactsOf(event);
  return facts ? shardOfKey(facts.userId, shards) : null;
};
