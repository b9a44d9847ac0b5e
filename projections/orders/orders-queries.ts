import { keyHash16, keyHashOfOrder } from '../../domain/shared/shard-key';
import { isoOf, type LiveReadModels, type Row } from '../live-read-models';
import type { CouponType } from '../../domain/coupon/coupon-events';
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
  /** The type of its coupon; null until its OrderPlaced is applied. */
  readonly couponType: CouponType | null;
  /** The least purchase it may be used on, in cents (0: none); null until its OrderPlaced is applied. */
  readonly minSpendCents: number | null;
  /** The first instant it is no longer usable; null: valid for ever (or its OrderPlaced not applied yet). */
  readonly validUntil: string | null;
  /** When the expiry process expired it (status EXPIRED); else null. */
  readonly expiredAt: string | null;
}

const isoOrNull = (value: unknown): string | null => (value === null ? null : isoOf(value));

const toOrder = (r: Row): OrderView => ({
  orderId: String(r.order_id),
  userId: String(r.user_id),
  couponId: String(r.coupon_id),
  status: String(r.status) as OrderStatus,
  placedAt: isoOrNull(r.placed_at),
  updatedAt: isoOf(r.updated_at),
  position: String(r.position),
  couponType: typeof r.coupon_type === 'string' ? (r.coupon_type as CouponType) : null,
  minSpendCents: r.min_spend_cents === null ? null : Number(r.min_spend_cents),
  validUntil: isoOrNull(r.valid_until),
  expiredAt: isoOrNull(r.expired_at),
});

/** Where a page of the administrators' listing ends: the (placedAt, orderId) of its last order. */
export interface OrderListPosition {
  readonly placedAt: Date;
  readonly orderId: string;
}

/** What the administrators' listing selects; from is inclusive, to exclusive; null: no such bound or filter. */
export interface AdminOrderFilter {
  readonly from: Date | null;
  readonly to: Date | null;
  readonly couponId: string | null;
  readonly status: OrderStatus | null;
  /** The previous page's last order: this page starts just after it. */
  readonly after: OrderListPosition | null;
  readonly limit: number;
}

/** The key the administrators' listing is ordered by, newest first: (placedAt, orderId), descending. */
const listPositionOf = (order: OrderView): OrderListPosition => ({
  placedAt: new Date(order.placedAt ?? 0),
  orderId: order.orderId,
});

const newerFirst = (a: OrderView, b: OrderView): number => {
  const byTime = Date.parse(b.placedAt ?? '') - Date.parse(a.placedAt ?? '');
  if (byTime !== 0) return byTime;
  return a.orderId < b.orderId ? 1 : a.orderId > b.orderId ? -1 : 0;
};

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

  /**
   * Every buyer's orders, for administrators: newest first by (placedAt, orderId), across every shard. Each shard
   * answers its first `limit + 1` orders after the cursor by keyset (an index range on placed_at, order_id: no
   * OFFSET), and the pages are merged: the first `limit` of their union are exactly the first `limit` of all. The
   * cursor is a position in that order, not in a shard, so orders placed while a client pages (newer than its first
   * page, or in any shard) never shift, repeat or hide the orders still to come. Orders whose OrderPlaced is not
   * applied yet (no placedAt) are not listed.
   */
  async adminOrders(
    filter: AdminOrderFilter,
    minPosition: bigint | null,
  ): Promise<{ items: OrderView[]; next: OrderListPosition | null }> {
    const generation = await this.models.generation('orders');
    await this.models.waitForAll(generation, minPosition);
    const conditions = ['placed_at IS NOT NULL'];
    const values: unknown[] = [];
    if (filter.couponId !== null) {
      conditions.push('coupon_id = ?');
      values.push(filter.couponId);
    }
    if (filter.from !== null) {
      conditions.push('placed_at >= ?');
      values.push(filter.from);
    }
    if (filter.to !== null) {
      conditions.push('placed_at < ?');
      values.push(filter.to);
    }
    if (filter.after !== null) {
      conditions.push('(placed_at < ? OR (placed_at = ? AND order_id < ?))');
      values.push(filter.after.placedAt, filter.after.placedAt, filter.after.orderId);
    }
    if (filter.status !== null) {
      conditions.push('status = ?');
      values.push(filter.status);
    }
    const table = ordersTable(tableSuffix(generation.generation));
    const index = filter.couponId === null ? 'by_placed' : 'by_coupon_placed';
    const pages = await Promise.all(
      Array.from({ length: generation.shards }, (_, shard) =>
        this.models.shards.query<Row>(
          shard,
          `SELECT ${ORDER_COLUMNS} FROM ${table} FORCE INDEX (${index}) WHERE ${conditions.join(' AND ')}
           ORDER BY placed_at DESC, order_id DESC LIMIT ?`,
          [...values, filter.limit + 1],
        ),
      ),
    );
    const merged = pages.flat().map(toOrder).sort(newerFirst);
    const items = merged.slice(0, filter.limit);
    const last = items.at(-1);
    return { items, next: merged.length > filter.limit && last ? listPositionOf(last) : null };
  }
}
