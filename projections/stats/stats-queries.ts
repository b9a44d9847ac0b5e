import { keyHash16 } from '../../domain/shared/shard-key';
import type { LiveReadModels, Row } from '../live-read-models';
import { tableSuffix } from '../read-model-ports';
import { statsTable } from './stats-tables';

/** Counts of a buyer's orders: by status (each order in exactly one), and by the type of their coupon. */
export interface OrderCounts {
  readonly placed: number;
  readonly cancelled: number;
  readonly used: number;
  readonly expired: number;
  /** Orders of flash-sale coupons, whatever their status. */
  readonly seckill: number;
  /** Orders of regular (claimed) coupons, whatever their status. */
  readonly regular: number;
}

export interface CouponStatsView extends OrderCounts {
  readonly couponId: string;
}

export interface UserStatsView {
  readonly coupons: CouponStatsView[];
  /** The sums over every coupon. */
  readonly totals: OrderCounts;
}

const toStats = (r: Row): CouponStatsView => {
  const counts = {
    placed: Number(r.placed),
    cancelled: Number(r.cancelled),
    used: Number(r.used),
    expired: Number(r.expired),
  };
  const orders = counts.placed + counts.cancelled + counts.used + counts.expired;
  // A coupon's type never changes, so its orders are all of one type; until one of its OrderPlaced events is
  // applied (a reordered delivery) the type is unknown and they count as neither.
  return {
    couponId: String(r.coupon_id),
    ...counts,
    seckill: r.coupon_type === 'SECKILL' ? orders : 0,
    regular: r.coupon_type === 'REGULAR' ? orders : 0,
  };
};

const NO_ORDERS: OrderCounts = { placed: 0, cancelled: 0, used: 0, expired: 0, seckill: 0, regular: 0 };

/** Queries of the per-user coupon statistics (sharded by buyer). */
export class StatsQueries {
  constructor(private readonly models: LiveReadModels) {}

  async userCouponStats(userId: string, minPosition: bigint | null): Promise<UserStatsView> {
    const generation = await this.models.generation('stats');
    const key = keyHash16(userId);
    const shard = key % generation.shards;
    await this.models.waitForKey(generation, key, minPosition);
    const rows = await this.models.shards.query<Row>(
      shard,
      `SELECT coupon_id, placed, cancelled, used, expired, coupon_type FROM ${statsTable(tableSuffix(generation.generation))} WHERE user_id = ? ORDER BY coupon_id DESC`,
      [userId],
    );
    const coupons = rows.map(toStats);
    const totals = coupons.reduce<OrderCounts>(
      (sum, c) => ({
        placed: sum.placed + c.placed,
        cancelled: sum.cancelled + c.cancelled,
        used: sum.used + c.used,
        expired: sum.expired + c.expired,
        seckill: sum.seckill + c.seckill,
        regular: sum.regular + c.regular,
      }),
      NO_ORDERS,
    );
    return { coupons, totals };
  }
}
