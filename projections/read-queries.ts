import { setTimeout as sleep } from 'node:timers/promises';
import { shardOfKey, shardOfOrder } from '../domain/shared/shard-key';
import type { LiveGenerations } from './live-generations';
import type { OrderStatus } from './order-status';
import type { ProjectionName } from './projection';
import { tableSuffix, type Generation, type ReadShards } from './read-model-ports';

export interface CouponView {
  readonly couponId: string;
  readonly name: string;
  readonly faceValueCents: number;
  readonly perUserLimit: number;
  readonly saleStartsAt: string;
  readonly saleEndsAt: string;
  readonly status: 'ACTIVE' | 'CLOSED';
  readonly totalStock: number;
  /** Live orders (placed or used). */
  readonly sold: number;
  readonly remaining: number;
  readonly cancelled: number;
  readonly used: number;
}

export interface OrderView {
  readonly orderId: string;
  readonly userId: string;
  readonly couponId: string;
  readonly status: OrderStatus;
  readonly placedAt: string | null;
  readonly updatedAt: string;
  readonly position: string;
}

export interface CouponStatsView {
  readonly couponId: string;
  readonly placed: number;
  readonly cancelled: number;
  readonly used: number;
}

export class ReadModelBehindError extends Error {
  constructor(
    readonly required: bigint,
    readonly current: bigint,
  ) {
    super(`the read model has reached position ${current}, not yet ${required}; retry shortly`);
    this.name = 'ReadModelBehindError';
  }
}

export class ReadModelMissingError extends Error {
  constructor(projection: ProjectionName) {
    super(`the ${projection} read model has not been built yet`);
    this.name = 'ReadModelMissingError';
  }
}

type Row = Record<string, unknown>;
const iso = (value: unknown): string =>
  value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();

const toCoupon = (r: Row): CouponView => {
  const totalStock = Number(r.total_stock);
  const sold = Number(r.placed) + Number(r.used);
  return {
    couponId: String(r.coupon_id),
    name: String(r.name),
    faceValueCents: Number(r.face_value_cents),
    perUserLimit: Number(r.per_user_limit),
    saleStartsAt: iso(r.sale_starts_at),
    saleEndsAt: iso(r.sale_ends_at),
    status: Number(r.closed) === 1 ? 'CLOSED' : 'ACTIVE',
    totalStock,
    sold,
    remaining: Math.max(0, totalStock - sold),
    cancelled: Number(r.cancelled),
    used: Number(r.used),
  };
};

const toOrder = (r: Row): OrderView => ({
  orderId: String(r.order_id),
  userId: String(r.user_id),
  couponId: String(r.coupon_id),
  status: String(r.status) as OrderStatus,
  placedAt: r.placed_at === null ? null : iso(r.placed_at),
  updatedAt: iso(r.updated_at),
  position: String(r.position),
});

const COUPON_COLUMNS =
  'coupon_id, name, face_value_cents, per_user_limit, sale_starts_at, sale_ends_at, closed, total_stock, placed, cancelled, used';
const ORDER_COLUMNS = 'order_id, user_id, coupon_id, status, placed_at, updated_at, position';

/**
 * The queries read-api answers, over the live generation of each read model. A caller may pass the position of a
 * write it made (`minPosition`): the query then waits, up to `waitMs`, until the shards it reads have passed it.
 */
export class ReadQueries {
  constructor(
    private readonly shards: ReadShards,
    private readonly live: LiveGenerations,
    private readonly waitMs: number,
  ) {}

  async coupon(couponId: string, minPosition: bigint | null): Promise<CouponView | null> {
    const generation = await this.generation('coupons');
    const shard = shardOfKey(couponId, generation.shards);
    await this.waitFor(generation, [shard], minPosition);
    const rows = await this.shards.query<Row>(
      shard,
      `SELECT ${COUPON_COLUMNS} FROM coupons${tableSuffix(generation.generation)} WHERE coupon_id = ? AND name IS NOT NULL`,
      [couponId],
    );
    return rows[0] ? toCoupon(rows[0]) : null;
  }

  /** Newest first (coupon ids are time-ordered); `cursor` is the last coupon id of the previous page. */
  async coupons(
    cursor: string | null,
    limit: number,
    minPosition: bigint | null,
  ): Promise<{ items: CouponView[]; nextCursor: string | null }> {
    const generation = await this.generation('coupons');
    const all = Array.from({ length: generation.shards }, (_, s) => s);
    await this.waitFor(generation, all, minPosition);
    const pages = await Promise.all(
      all.map((shard) =>
        this.shards.query<Row>(
          shard,
          `SELECT ${COUPON_COLUMNS} FROM coupons${tableSuffix(generation.generation)}
           WHERE name IS NOT NULL AND coupon_id < ? ORDER BY coupon_id DESC LIMIT ?`,
          [cursor ?? 'g', limit + 1],
        ),
      ),
    );
    const merged = pages.flat().sort((a, b) => (String(a.coupon_id) < String(b.coupon_id) ? 1 : -1));
    const items = merged.slice(0, limit).map(toCoupon);
    return { items, nextCursor: merged.length > limit ? (items.at(-1)?.couponId ?? null) : null };
  }

  async order(orderId: string, minPosition: bigint | null): Promise<OrderView | null> {
    const generation = await this.generation('orders');
    const shard = shardOfOrder(orderId, generation.shards);
    await this.waitFor(generation, [shard], minPosition);
    const rows = await this.shards.query<Row>(
      shard,
      `SELECT ${ORDER_COLUMNS} FROM orders${tableSuffix(generation.generation)} WHERE order_id = ?`,
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
    const generation = await this.generation('orders');
    const shard = shardOfKey(userId, generation.shards);
    await this.waitFor(generation, [shard], minPosition);
    const conditions = ['user_id = ?', 'order_id < ?'];
    const values: unknown[] = [userId, filter.cursor ?? 'g'];
    if (filter.status) {
      conditions.push('status = ?');
      values.push(filter.status);
    }
    const rows = await this.shards.query<Row>(
      shard,
      `SELECT ${ORDER_COLUMNS} FROM orders${tableSuffix(generation.generation)} WHERE ${conditions.join(' AND ')} ORDER BY order_id DESC LIMIT ?`,
      [...values, filter.limit + 1],
    );
    const items = rows.slice(0, filter.limit).map(toOrder);
    return { items, nextCursor: rows.length > filter.limit ? (items.at(-1)?.orderId ?? null) : null };
  }

  async userCouponStats(userId: string, minPosition: bigint | null): Promise<CouponStatsView[]> {
    const generation = await this.generation('stats');
    const shard = shardOfKey(userId, generation.shards);
    await this.waitFor(generation, [shard], minPosition);
    const rows = await this.shards.query<Row>(
      shard,
      `SELECT coupon_id, placed, cancelled, used FROM user_coupon_stats${tableSuffix(generation.generation)} WHERE user_id = ? ORDER BY coupon_id DESC`,
      [userId],
    );
    return rows.map((r) => ({
      couponId: String(r.coupon_id),
      placed: Number(r.placed),
      cancelled: Number(r.cancelled),
      used: Number(r.used),
    }));
  }

  private async generation(projection: ProjectionName): Promise<Generation> {
    const generation = await this.live.of(projection);
    if (!generation) throw new ReadModelMissingError(projection);
    return generation;
  }

  private async waitFor(
    generation: Generation,
    shards: readonly number[],
    minPosition: bigint | null,
  ): Promise<void> {
    if (minPosition === null) return;
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const positions = await Promise.all(shards.map((shard) => this.shards.checkpoint(generation, shard)));
      const reached = positions.reduce((min, p) => (p < min ? p : min));
      if (reached >= minPosition) return;
      if (Date.now() >= deadline) throw new ReadModelBehindError(minPosition, reached);
      await sleep(20);
    }
  }
}
