import { keyHash16 } from '../../domain/shared/shard-key';
import type { LiveReadModels, Row } from '../live-read-models';
import { tableSuffix } from '../read-model-ports';
import { statsTable } from './stats-tables';

export interface CouponStatsView {
  readonly couponId: string;
  readonly placed: number;
  readonly cancelled: number;
  readonly used: number;
}

/** Queries of the per-user coupon statistics (sharded by buyer). */
export class StatsQueries {
  constructor(private readonly models: LiveReadModels) {}

  async userCouponStats(userId: string, minPosition: bigint | null): Promise<CouponStatsView[]> {
    const generation = await this.models.generation('stats');
    const key = keyHash16(userId);
    const shard = key % generation.shards;
    await this.models.waitForKey(generation, key, minPosition);
    const rows = await this.models.shards.query<Row>(
      shard,
      `SELECT coupon_id, placed, cancelled, used FROM ${statsTable(tableSuffix(generation.generation))} WHERE user_id = ? ORDER BY coupon_id DESC`,
      [userId],
    );
    return rows.map((r) => ({
      couponId: String(r.coupon_id),
      placed: Number(r.placed),
      cancelled: Number(r.cancelled),
      used: Number(r.used),
    }));
  }
}
