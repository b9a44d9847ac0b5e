import { couponsProjection } from '../../projections/coupons/coupons-projection';
import { COUPON_COLUMNS, couponsTable } from '../../projections/coupons/coupons-tables';
import { ProjectionSpecification } from '../support/projection-specification';
import { COUPON, HISTORY, OTHER_COUPON } from './history';

describe('coupons read model (projection spec on MariaDB)', () => {
  it('holds each coupon’s settings (v1 and v2 coupons upcast), newest stock, closing, and live counts', async () => {
    await ProjectionSpecification.for(couponsProjection)
      .given(HISTORY)
      .then(
        async (query, suffix) =>
          (await query(`SELECT ${COUPON_COLUMNS} FROM ${couponsTable(suffix)} ORDER BY coupon_id`)).map(
            (r) => ({
              couponId: r.coupon_id,
              name: r.name,
              description: r.description,
              minAccountAgeSeconds: Number(r.min_account_age_seconds),
              totalStock: Number(r.total_stock),
              closed: Number(r.closed),
              placed: Number(r.placed),
              cancelled: Number(r.cancelled),
              used: Number(r.used),
            }),
          ),
        [
          {
            couponId: COUPON,
            name: 'Ten off',
            description: '',
            minAccountAgeSeconds: 0,
            totalStock: 8,
            closed: 1,
            placed: 1,
            cancelled: 1,
            used: 1,
          },
          {
            couponId: OTHER_COUPON,
            name: 'Free shipping',
            description: 'Orders over 20',
            minAccountAgeSeconds: 0,
            totalStock: 1,
            closed: 0,
            placed: 1,
            cancelled: 0,
            used: 0,
          },
        ],
      );
  });
});
