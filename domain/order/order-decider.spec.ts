import { DeciderSpecification } from '../../test/support/decider-specification';
import { orderDecider, type OrderCommand, type OrderTerms } from './order-decider';
import type { OrderEvent } from './order-events';

const spec = DeciderSpecification.for(orderDecider);
const ref = { orderId: 'o-1', couponId: 'c-1', userId: 'u-1' };
const now = new Date('2026-12-01T10:00:00Z');
const at = now.toISOString();

const placed: OrderEvent = {
  type: 'OrderPlaced',
  schemaVersion: 2,
  data: {
    ...ref,
    placedAt: at,
    idempotencyKey: 'k',
    couponType: 'SECKILL',
    minSpendCents: 0,
    validUntil: null,
  },
};
const cancelled: OrderEvent = { type: 'OrderCancelled', schemaVersion: 1, data: { ...ref, cancelledAt: at } };
const used: OrderEvent = {
  type: 'OrderUsed',
  schemaVersion: 2,
  data: { ...ref, usedAt: at, amountCents: null },
};
const abandoned: OrderEvent = {
  type: 'SeckillAbandoned',
  schemaVersion: 1,
  data: { ...ref, abandonedAt: at, reason: 'append failed' },
};

const seckillTerms: OrderTerms = {
  couponType: 'SECKILL',
  minSpendCents: 0,
  validDays: null,
  validUntil: null,
};
const place: OrderCommand = {
  type: 'PlaceOrder',
  data: { ...ref, now, idempotencyKey: 'k', terms: seckillTerms },
};
const placeWith = (terms: Partial<OrderTerms>): OrderCommand => ({
  type: 'PlaceOrder',
  data: { ...ref, now, idempotencyKey: 'k', terms: { ...seckillTerms, ...terms } },
});
const abandon: OrderCommand = { type: 'AbandonSeckill', data: { ...ref, now, reason: 'append failed' } };
const cancel = (byUserId = 'u-1'): OrderCommand => ({
  type: 'CancelOrder',
  data: { orderId: 'o-1', byUserId, now },
});
const use = (byUserId = 'u-1'): OrderCommand => ({
  type: 'UseOrder',
  data: { orderId: 'o-1', byUserId, now },
});

describe('order decider', () => {
  describe('place', () => {
    it('places a fresh order', () => spec.given([]).when(place).then([placed]));
    it('refuses an order that exists', () =>
      spec.given([placed]).when(place).thenThrows('ORDER_ALREADY_EXISTS'));
    it('can never place an abandoned order (the fence)', () =>
      spec.given([abandoned]).when(place).thenThrows('ORDER_ALREADY_EXISTS'));
    it('starts as PLACED', () =>
      spec
        .given([])
        .when(place)
        .thenState({ status: 'PLACED', ...ref, placedAt: at }));
    it("carries a REGULAR coupon's type and minimum spend", () =>
      spec
        .given([])
        .when(placeWith({ couponType: 'REGULAR', minSpendCents: 5000 }))
        .then([{ ...placed, data: { ...placed.data, couponType: 'REGULAR', minSpendCents: 5000 } }]));
    it('is valid validDays whole days after it is placed', () =>
      spec
        .given([])
        .when(placeWith({ validDays: 7 }))
        .then([{ ...placed, data: { ...placed.data, validUntil: '2026-12-08T10:00:00.000Z' } }]));
    it("is valid until the coupon's fixed validUntil", () =>
      spec
        .given([])
        .when(placeWith({ validUntil: '2027-01-31T23:59:59.999Z' }))
        .then([{ ...placed, data: { ...placed.data, validUntil: '2027-01-31T23:59:59.999Z' } }]));
    it('is valid for ever when the coupon has no validity rule', () =>
      spec.given([]).when(placeWith({})).then([placed]));
  });

  describe('abandon', () => {
    it('fences a fresh order stream', () => spec.given([]).when(abandon).then([abandoned]));
    it('never abandons a placed order', () =>
      spec.given([placed]).when(abandon).thenThrows('ORDER_ALREADY_EXISTS'));
  });

  describe('cancel', () => {
    it('cancels a placed order for its owner', () => spec.given([placed]).when(cancel()).then([cancelled]));
    it('ends CANCELLED', () =>
      spec
        .given([placed])
        .when(cancel())
        .thenState({ status: 'CANCELLED', ...ref, placedAt: at }));
    it('refuses another user', () => spec.given([placed]).when(cancel('u-2')).thenThrows('NOT_ORDER_OWNER'));
    it('refuses a missing order', () => spec.given([]).when(cancel()).thenThrows('ORDER_NOT_FOUND'));
    it('refuses an abandoned order', () =>
      spec.given([abandoned]).when(cancel()).thenThrows('ORDER_NOT_FOUND'));
    it('refuses a second cancellation', () =>
      spec.given([placed, cancelled]).when(cancel()).thenThrows('ORDER_ALREADY_CANCELLED'));
    it('refuses a used order', () =>
      spec.given([placed, used]).when(cancel()).thenThrows('ORDER_ALREADY_USED'));
  });

  describe('use', () => {
    it('uses a placed order for its owner', () => spec.given([placed]).when(use()).then([used]));
    it('ends USED', () =>
      spec
        .given([placed])
        .when(use())
        .thenState({ status: 'USED', ...ref, placedAt: at }));
    it('refuses another user', () => spec.given([placed]).when(use('u-2')).thenThrows('NOT_ORDER_OWNER'));
    it('refuses a missing order', () => spec.given([]).when(use()).thenThrows('ORDER_NOT_FOUND'));
    it('refuses a cancelled order', () =>
      spec.given([placed, cancelled]).when(use()).thenThrows('ORDER_CANCELLED'));
    it('refuses a second use', () => spec.given([placed, used]).when(use()).thenThrows('ORDER_ALREADY_USED'));
  });
});
