import {
  aCoupon,
  aRegularCoupon,
  as,
  at,
  couponCreated,
  couponDeactivated,
  couponReactivated,
  couponSaleWindowChanged,
  HandlerSpecification,
  loadGate,
  orderPlaced,
  type World,
} from '../test/support/handler-specification';
import type { CouponType } from '../domain/coupon/coupon-events';
import { SeckillRefusedError } from './seckill-errors';
import { idempotencyField } from './stock-gate-port';

const couponId = 'c-1';
const regular = aRegularCoupon({ couponId, totalStock: 2, perUserLimit: 1 });
const seckillCoupon = aCoupon({ couponId });
const spec = HandlerSpecification.for();

/** A claim (REGULAR) or a seckill (SECKILL) of coupon c-1 by `userId`. */
const buy =
  (couponType: CouponType, userId: string, idempotencyKey: string | null = null) =>
  (w: World) =>
    w.seckill.handle({ couponId, couponType, userId, idempotencyKey, registeredAtMs: null }, as(userId));
const claim = (userId: string, idempotencyKey: string | null = null) =>
  buy('REGULAR', userId, idempotencyKey);
const order = (orderId: string, userId: string) => ({ orderId, couponId, userId });

describe('SeckillHandler claiming REGULAR coupons', () => {
  it('claims a unit: OrderPlaced v2 of type REGULAR, the reservation pending', () =>
    spec
      .given(couponCreated(regular), loadGate)
      .when(claim('u-1', 'k-1'))
      .then({
        events: [orderPlaced(order('o-1', 'u-1'), 'k-1', undefined, { couponType: 'REGULAR' })],
        result: { orderId: 'o-1', couponId, userId: 'u-1', status: 'PLACED', position: '2', replayed: false },
        gate: {
          [couponId]: {
            status: 'active',
            totalStock: 2,
            sold: 1,
            buyers: { 'u-1': ['o-1'] },
            idempotencyKeys: { [idempotencyField('u-1', 'k-1')]: 'o-1' },
            pending: ['o-1'],
          },
        },
      }));

  it('at any time: years before or after any sale window', () =>
    spec
      .given(couponCreated(regular), loadGate, at('2003-02-01T00:00:00.000Z'))
      .when(claim('u-1'))
      .then({ events: [expect.objectContaining({ type: 'OrderPlaced' })] }));

  it("fixes the order's validUntil validDays after it is placed, with the coupon's minimum spend", () =>
    spec
      .given(couponCreated({ ...regular, validDays: 30, minSpendCents: 2500 }), loadGate)
      .when(claim('u-1'))
      .then({
        events: [
          orderPlaced(order('o-1', 'u-1'), null, undefined, {
            couponType: 'REGULAR',
            minSpendCents: 2500,
            validUntil: '2026-07-01T12:00:00.000Z',
          }),
        ],
      }));

  it("fixes the order's validUntil at the coupon's fixed one", () =>
    spec
      .given(couponCreated({ ...regular, validUntil: '2026-12-31T00:00:00.000Z' }), loadGate)
      .when(claim('u-1'))
      .then({
        events: [
          orderPlaced(order('o-1', 'u-1'), null, undefined, {
            couponType: 'REGULAR',
            validUntil: '2026-12-31T00:00:00.000Z',
          }),
        ],
      }));

  it('replays a retry with the same key, appending nothing', () =>
    spec
      .given(
        couponCreated(regular),
        orderPlaced(order('o-a', 'u-1'), 'k-1', undefined, { couponType: 'REGULAR' }),
        loadGate,
      )
      .when(claim('u-1', 'k-1'))
      .then({ events: [], result: expect.objectContaining({ orderId: 'o-a', replayed: true }) }));

  it("refuses a buyer at the coupon's limit with the orders they hold", () =>
    spec
      .given(
        couponCreated(regular),
        orderPlaced(order('o-a', 'u-1'), null, undefined, { couponType: 'REGULAR' }),
        loadGate,
      )
      .when(claim('u-1'))
      .thenThrows(SeckillRefusedError, { code: 'LIMIT_REACHED', orderIds: ['o-a'] }));

  it('refuses a claim once the stock is gone', () =>
    spec
      .given(
        couponCreated(regular),
        orderPlaced(order('o-a', 'u-a'), null, undefined, { couponType: 'REGULAR' }),
        orderPlaced(order('o-b', 'u-b'), null, undefined, { couponType: 'REGULAR' }),
        loadGate,
      )
      .when(claim('u-1'))
      .thenThrows(SeckillRefusedError, { code: 'SOLD_OUT' }));

  it('refuses to claim a SECKILL coupon', () =>
    spec
      .given(couponCreated(seckillCoupon), loadGate)
      .when(claim('u-1'))
      .thenThrows(SeckillRefusedError, { code: 'NOT_A_REGULAR_COUPON' }));

  it('refuses a seckill of a REGULAR coupon', () =>
    spec
      .given(couponCreated(regular), loadGate)
      .when(buy('SECKILL', 'u-1'))
      .thenThrows(SeckillRefusedError, { code: 'NOT_A_SECKILL_COUPON' }));

  it('refuses a claim once the fixed validUntil has passed', () =>
    spec
      .given(couponCreated({ ...regular, validUntil: '2026-06-01T12:00:00.000Z' }), loadGate)
      .when(claim('u-1'))
      .thenThrows(SeckillRefusedError, { code: 'COUPON_EXPIRED' }));

  it('refuses a deactivated coupon, without taking stock', () =>
    spec
      .given(couponCreated(regular), couponDeactivated(couponId), loadGate)
      .when(claim('u-1'))
      .thenThrows(
        SeckillRefusedError,
        { code: 'COUPON_INACTIVE' },
        {
          gate: {
            [couponId]: {
              status: 'active',
              totalStock: 2,
              sold: 0,
              buyers: {},
              idempotencyKeys: {},
              pending: [],
            },
          },
        },
      ));

  it('claims again once reactivated', () =>
    spec
      .given(couponCreated(regular), couponDeactivated(couponId), couponReactivated(couponId), loadGate)
      .when(claim('u-1'))
      .then({ events: [expect.objectContaining({ type: 'OrderPlaced' })] }));
});

describe('SeckillHandler and admin changes of a SECKILL coupon', () => {
  it('sells inside a window moved earlier', () =>
    spec
      .given(
        couponCreated(
          aCoupon({
            couponId,
            saleStartsAt: '2026-06-02T00:00:00.000Z',
            saleEndsAt: '2026-06-03T00:00:00.000Z',
          }),
        ),
        couponSaleWindowChanged(couponId, '2026-06-01T11:00:00.000Z', '2026-06-01T13:00:00.000Z'),
        loadGate,
      )
      .when(buy('SECKILL', 'u-1'))
      .then({ events: [orderPlaced(order('o-1', 'u-1'))] }));

  it('refuses before a window moved later opens', () =>
    spec
      .given(
        couponCreated(seckillCoupon),
        couponSaleWindowChanged(couponId, '2026-06-02T11:00:00.000Z', '2026-06-02T13:00:00.000Z'),
        loadGate,
      )
      .when(buy('SECKILL', 'u-1'))
      .thenThrows(SeckillRefusedError, { code: 'SALE_NOT_STARTED' }));

  it('refuses a deactivated coupon inside its window', () =>
    spec
      .given(couponCreated(seckillCoupon), couponDeactivated(couponId), loadGate)
      .when(buy('SECKILL', 'u-1'))
      .thenThrows(SeckillRefusedError, { code: 'COUPON_INACTIVE' }));
});
