import { ordersProjection } from '../../projections/orders/orders-projection';
import { ORDER_COLUMNS, ordersTable } from '../../projections/orders/orders-tables';
import { ProjectionSpecification } from '../support/projection-specification';
import {
  LIFECYCLE_HISTORY,
  LIFECYCLE_ORDERS,
  REGULAR_COUPON,
  SECKILL_COUPON,
  VALID_UNTIL,
} from './expiry-history';
import { COUPON, ORDERS, OTHER_COUPON } from './history';

const iso = (value: unknown): string | null => (value === null ? null : (value as Date).toISOString());

/** An order of the release before validity (OrderPlaced v1): a seckill order, no minimum spend, valid for ever. */
const asBefore = {
  couponType: 'SECKILL',
  minSpendCents: 0,
  validUntil: null,
  expiredAt: null,
  noticedAt: null,
};

describe('orders read model (projection spec on MariaDB)', () => {
  it('holds each order’s newest status, once, however often and in whatever order its events arrive', async () => {
    await ProjectionSpecification.for(ordersProjection)
      .given(LIFECYCLE_HISTORY)
      .then(
        async (query, suffix) =>
          (await query(`SELECT ${ORDER_COLUMNS}, expiry_noticed_at FROM ${ordersTable(suffix)}`))
            .map((r) => ({
              orderId: r.order_id,
              userId: r.user_id,
              couponId: r.coupon_id,
              status: r.status,
              placedAt: iso(r.placed_at),
              couponType: r.coupon_type,
              minSpendCents: r.min_spend_cents === null ? null : Number(r.min_spend_cents),
              validUntil: iso(r.valid_until),
              expiredAt: iso(r.expired_at),
              noticedAt: iso(r.expiry_noticed_at),
            }))
            .sort((a, b) => String(a.orderId).localeCompare(String(b.orderId))),
        [
          {
            orderId: ORDERS.alicePlaced,
            userId: 'alice',
            couponId: COUPON,
            status: 'PLACED',
            placedAt: '2026-01-01T10:00:01.000Z',
            ...asBefore,
          },
          {
            orderId: ORDERS.aliceCancelled,
            userId: 'alice',
            couponId: COUPON,
            status: 'CANCELLED',
            placedAt: '2026-01-01T10:00:02.000Z',
            ...asBefore,
          },
          {
            orderId: ORDERS.bobUsed,
            userId: 'bob',
            couponId: COUPON,
            status: 'USED',
            placedAt: '2026-01-01T10:00:03.000Z',
            ...asBefore,
          },
          {
            orderId: ORDERS.bobOther,
            userId: 'bob',
            couponId: OTHER_COUPON,
            status: 'PLACED',
            placedAt: '2026-01-01T10:00:04.000Z',
            ...asBefore,
          },
          {
            orderId: LIFECYCLE_ORDERS.daveExpired,
            userId: 'dave',
            couponId: REGULAR_COUPON,
            status: 'EXPIRED',
            placedAt: '2026-01-01T12:00:00.000Z',
            couponType: 'REGULAR',
            minSpendCents: 5000,
            validUntil: VALID_UNTIL.jan5,
            expiredAt: '2026-01-06T00:00:00.123Z',
            noticedAt: '2026-01-02T00:00:00.000Z',
          },
          {
            orderId: LIFECYCLE_ORDERS.daveNoticedUsed,
            userId: 'dave',
            couponId: REGULAR_COUPON,
            status: 'USED',
            placedAt: '2026-01-01T12:00:00.000Z',
            couponType: 'REGULAR',
            minSpendCents: 5000,
            validUntil: VALID_UNTIL.jan5,
            expiredAt: null,
            noticedAt: '2026-01-02T00:00:00.000Z',
          },
          {
            orderId: LIFECYCLE_ORDERS.daveNoticed,
            userId: 'dave',
            couponId: SECKILL_COUPON,
            status: 'PLACED',
            placedAt: '2026-01-01T12:00:00.000Z',
            couponType: 'SECKILL',
            minSpendCents: 0,
            validUntil: VALID_UNTIL.jan9,
            expiredAt: null,
            noticedAt: '2026-01-02T00:00:00.000Z',
          },
          {
            orderId: LIFECYCLE_ORDERS.erinExpired,
            userId: 'erin',
            couponId: SECKILL_COUPON,
            status: 'EXPIRED',
            placedAt: '2026-01-01T12:00:00.000Z',
            couponType: 'SECKILL',
            minSpendCents: 0,
            validUntil: VALID_UNTIL.jan3,
            expiredAt: '2026-01-06T00:00:00.123Z',
            noticedAt: null,
          },
        ],
      );
  });
});
