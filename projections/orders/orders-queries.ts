import { keyHash16, keyHashOfOrder } from '../../domain/shared/shard-key';
import { isoOf, type LiveReadModels, type Row } from '../live-read-models';
import type { OrderStatus } from '../order-status';
import { tableSuffix } from '../read-model-ports';
import { ORDER_COLUMNS, ordersTable } from './orders-tables';

export interface OrderView {
  readonly orderId: string;
  readonly userId: string;
  readonly couponId: string;
  readonly status: OrderStatus;
  readonly placedAt: string | null;
  readonly updatedAt: string;
  readonly position: string;
}

const toOrder = (r: Row): OrderView => ({
  orderId: String(r.order_id),
  userId: String(r.user_id),
  couponId: String(r.coupon_id),
  status: String(r.status) as OrderStatus,
  placedAt: r.placed_at === null ? null : isoOf(r.placed_at),
  updatedAt: isoOf(r.updated_at),
  position: String(r.position),
});

/** Queries of the orders read model (sharded by buyer; an order id names its shard). */
export class OrdersQueries {
  constructor(private readonly models: LiveReadModels) {}

  async order(orderId: string, minPosition: bigint | null): Promise<OrderView | null> {
    const generation = await this.models.generation('orders');
    const key = keyHashOfOrder(orderId);
    const shard = key % generation.shards;
    await this.models.waitForKey(generation, key, minPosition);
    const rows = await this.models.shards.query<Row>(
      shard,
      `SELECT ${ORDER_COLUMNS} FROM ${ordersTable(tableSuffix(generation.generation))} WHERE order_id = ?`,
      [orderId],
    );
    return rows[0] ? toOrder(rows[0]) : null;
  }

  /** Newest first; `cursor` is the last order id of the previous page. */
  async userOrders(
    userId: string,
    filter: { status: OrderStatus | null; cursor: string | null; limit: number },
    minPosition: bigint | null,
  ): Promise<{ items: OrderView[]; nextCursor: string | null }> {
    const generation = await this.models.generation('orders');
    const key = keyHash16(userId);
    const shard = key % generation.shards;
    await this.models.waitForKey(generation, key, minPosition);
    const conditions = ['user_id = ?', 'order_id < ?'];
    const values: unknown[] = [userId, filter.cursor ?? 'g'];
    if (filter.status) {
      conditions.push('status = ?');
      values.push(filter.status);
    }
    const rows = await this.models.shards.query<Row>(
      shard,
      `SELECT ${ORDER_COLUMNS} FROM ${ordersTable(tableSuffix(generation.generation))} WHERE ${conditions.join(' AND ')} ORDER BY order_id DESC LIMIT ?`,
      [...values, filter.limit + 1],
    );
    const items = rows.slice(0, filter.limit).map(toOrder);
    return { items, nextCursor: rows.length > filter.limit ? (items.at(-1)?.orderId ?? null) : null };
  }
}
