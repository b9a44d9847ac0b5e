import { statsProjection } from '../../projections/stats/stats-projection';
import { statsTable } from '../../projections/stats/stats-tables';
import { ProjectionSpecification } from '../support/projection-specification';
import { COUPON, HISTORY, OTHER_COUPON } from './history';

describe('per-user coupon statistics (projection spec on MariaDB)', () => {
  it('counts each buyer’s orders per coupon by status, each order once', async () => {
    await ProjectionSpecification.for(statsProjection)
      .given(HISTORY)
      .then(
        async (query, suffix) =>
          (await query(`SELECT user_id, coupon_id, placed, cancelled, used FROM ${statsTable(suffix)}`))
            .map((r) => ({
              userId: r.user_id,
              couponId: r.coupon_id,
              placed: Number(r.placed),
              cancelled: Number(r.cancelled),
              used: Number(r.used),
            }))
            .sort((a, b) =>
              `${String(a.userId)}${String(a.couponId)}`.localeCompare(
                `${String(b.userId)}${String(b.couponId)}`,
              ),
            ),
        [
          { userId: 'alice', couponId: COUPON, placed: 1, cancelled: 1, used: 0 },
          { userId: 'bob', couponId: COUPON, placed: 0, cancelled: 0, used: 1 },
          { userId: 'bob', couponId: OTHER_COUPON, placed: 1, cancelled: 0, used: 0 },
        ],
      );
  });
});
