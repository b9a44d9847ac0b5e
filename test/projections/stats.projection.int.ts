import { statsProjection } from '../../projections/stats/stats-projection';
import { statsTable } from '../../projections/stats/stats-tables';
import { ProjectionSpecification } from '../support/projection-specification';
import { LIFECYCLE_HISTORY, REGULAR_COUPON, SECKILL_COUPON } from './expiry-history';
import { COUPON, OTHER_COUPON } from './history';

describe('per-user coupon statistics (projection spec on MariaDB)', () => {
  it('counts each buyer’s orders per coupon by status (expired included) and keeps the coupon’s type, each order once', async () => {
    await ProjectionSpecification.for(statsProjection)
      .given(LIFECYCLE_HISTORY)
      .then(
        async (query, suffix) =>
          (
            await query(
              `SELECT user_id, coupon_id, placed, cancelled, used, expired, coupon_type FROM ${statsTable(suffix)}`,
            )
          )
            .map((r) => ({
              userId: r.user_id,
              couponId: r.coupon_id,
              placed: Number(r.placed),
              cancelled: Number(r.cancelled),
              used: Number(r.used),
              expired: Number(r.expired),
              couponType: r.coupon_type,
            }))
            .sort((a, b) =>
              `${String(a.userId)}${String(a.couponId)}`.localeCompare(
                `${String(b.userId)}${String(b.couponId)}`,
              ),
            ),
        [
          {
            userId: 'alice',
            couponId: COUPON,
            placed: 1,
            cancelled: 1,
            used: 0,
            expired: 0,
            couponType: 'SECKILL',
          },
          {
            userId: 'bob',
            couponId: COUPON,
            placed: 0,
            cancelled: 0,
            used: 1,
            expired: 0,
            couponType: 'SECKILL',
          },
          {
            userId: 'bob',
            couponId: OTHER_COUPON,
            placed: 1,
            cancelled: 0,
            used: 0,
            expired: 0,
            couponType: 'SECKILL',
          },
          {
            userId: 'dave',
            couponId: REGULAR_COUPON,
            placed: 0,
            cancelled: 0,
            used: 1,
            expired: 1,
            couponType: 'REGULAR',
          },
          {
            userId: 'dave',
            couponId: SECKILL_COUPON,
            placed: 1,
            cancelled: 0,
            used: 0,
            expired: 0,
            couponType: 'SECKILL',
          },
          {
            userId: 'erin',
            couponId: SECKILL_COUPON,
            placed: 0,
            cancelled: 0,
            used: 0,
            expired: 1,
            couponType: 'SECKILL',
          },
        ],
      );
  });
});
