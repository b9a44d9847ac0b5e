import type { CouponType } from '../../domain/coupon/coupon-events';
import { keyHash16 } from '../../domain/shared/shard-key';
import { isoOf, type LiveReadModels, type Row } from '../live-read-models';
import { tableSuffix } from '../read-model-ports';
import { COUPON_COLUMNS, couponsTable } from './coupons-tables';

export interface CouponView {
  readonly couponId: string;
  readonly name: string;
  readonly description: string;
  readonly faceValueCents: number;
  readonly perUserLimit: number;
  /** How old a buyer's account must be to buy, in seconds (0: any account). */
  readonly minAccountAgeSeconds: number;
  readonly saleStartsAt: string;
  readonly saleEndsAt: string;
  readonly couponType: CouponType;
  /** The least purchase, in cents, an order may be used on (0: none). */
  readonly minSpendCents: number;
  /** Orders are usable this many days after they are placed, or until `validUntil`; both null: for ever. */
  readonly validDays: number | null;
  readonly validUntil: string | null;
  /** INACTIVE: deactivated by an admin; CLOSED wins over it. */
  readonly status: 'ACTIVE' | 'INACTIVE' | 'CLOSED';
  readonly totalStock: number;
  /** Live orders (placed or used). */
  readonly sold: number;
  readonly remaining: number;
  readonly cancelled: number;
  readonly used: number;
}

const toCoupon = (r: Row): CouponView => {
  const totalStock = Number(r.total_stock);
  const sold = Number(r.placed) + Number(r.used);
  return {
    couponId: String(r.coupon_id),
    name: String(r.name),
    description: typeof r.description === 'string' ? r.description : '',
    faceValueCents: Number(r.face_value_cents),
    perUserLimit: Number(r.per_user_limit),
    minAccountAgeSeconds: Number(r.min_account_age_seconds ?? 0),
    saleStartsAt: isoOf(r.sale_starts_at),
    saleEndsAt: isoOf(r.sale_ends_at),
    // Rows written before coupon types existed hold NULLs: those coupons were flash sales without rules.
    couponType: r.coupon_type === 'REGULAR' ? 'REGULAR' : 'SECKILL',
    minSpendCents: Number(r.min_spend_cents ?? 0),
    validDays: r.valid_days === null || r.valid_days === undefined ? null : Number(r.valid_days),
    validUntil: r.valid_until === null || r.valid_until === undefined ? null : isoOf(r.valid_until),
    status: Number(r.closed) === 1 ? 'CLOSED' : Number(r.inactive) === 1 ? 'INACTIVE' : 'ACTIVE',
    totalStock,
    sold,
    remaining: Math.max(0, totalStock - sold),
    cancelled: Number(r.cancelled),
    used: Number(r.used),
  };
};

/** Queries of the coupons read model (sharded by coupon). A row whose CouponCreated is not applied yet is hidden. */
export class CouponsQueries {
  constructor(private readonly models: LiveReadModels) {}

  async coupon(couponId: string, minPosition: bigint | null): Promise<CouponView | null> {
    const generation = await this.models.generation('coupons');
    const key = keyHash16(couponId);
    const shard = key % generation.shards;
    await this.models.waitForKey(generation, key, minPosition);
    const rows = await this.models.shards.query<Row>(
      shard,
      `SELECT ${COUPON_COLUMNS} FROM ${couponsTable(tableSuffix(generation.generation))} WHERE coupon_id = ? AND name IS NOT NULL`,
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
    const generation = await this.models.generation('coupons');
    const all = Array.from({ length: generation.shards }, (_, s) => s);
    await this.models.waitForAll(generation, minPosition);
    const pages = await Promise.all(
      all.map((shard) =>
        this.models.shards.query<Row>(
          shard,
          `SELECT ${COUPON_COLUMNS} FROM ${couponsTable(tableSuffix(generation.generation))}
           WHERE name IS NOT NULL AND coupon_id < ? ORDER BY coupon_id DESC LIMIT ?`,
          [cursor ?? 'g', limit + 1],
        ),
      ),
    );
    const merged = pages.flat().sort((a, b) => (String(a.coupon_id) < String(b.coupon_id) ? 1 : -1));
    const items = merged.slice(0, limit).map(toCoupon);
    return { items, nextCursor: merged.length > limit ? (items.at(-1)?.couponId ?? null) : null };
  }
}
