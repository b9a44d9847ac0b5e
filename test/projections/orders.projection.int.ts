import { ordersProjection } from '../../projections/orders/orders-projection';
import { ORDER_COLUMNS, ordersTable } from '../../projections/orders/orders-tables';
import { ProjectionSpecification } from '../support/projection-specification';
import { COUPON, HISTORY, ORDERS, OTHER_COUPON } from './history';

describe('orders read model (projection spec on MariaDB)', () => {
  it('holds each order’s newest status, once, however often and in whatever order its events arrive', async () => {
    await ProjectionSpecification.for(ordersProjection)
      .given(HISTORY)
      .then(
        async (query, suffix) =>
          (await query(`SELECT ${ORDER_COLUMNS} FROM ${ordersTable(suffix)}`))
            .map((r) => ({
              orderId: r.order_id,
              userId: r.user_id,
              couponId: r.coupon_id,
              status: r.status,
              placedAt: (r.placed_at as Date).toISOString(),
            }))
            .sort((a, b) => String(a.orderId).localeCompare(String(b.orderId))),
        [
          {
            orderId: ORDERS.alicePlaced,
            userId: 'alice',
            couponId: COUPON,
            status: 'PLACED',
            placedAt: '2026-01-01T10:00:01.000Z',
          },
          {
            orderId: ORDERS.aliceCancelled,
            userId: 'alice',
            couponId: COUPON,
            status: 'CANCELLED',
            placedAt: '2026-01-01T10:00:02.000Z',
          },
          {
            orderId: ORDERS.bobUsed,
            userId: 'bob',
            couponId: COUPON,
            status: 'USED',
            placedAt: '2026-01-01T10:00:03.000Z',
          },
          {
            orderId: ORDERS.bobOther,
            userId: 'bob',
            couponId: OTHER_COUPON,
            status: 'PLACED',
            placedAt: '2026-01-01T10:00:04.000Z',
          },
        ],
      );
  });
});
