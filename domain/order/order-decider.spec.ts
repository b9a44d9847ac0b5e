import { DeciderSpecification } from '../../test/support/decider-specification';
import { fold } from '../shared/event';
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
const use = (byUserId = 'u-1', amountCents: number | null = null, when = now): OrderCommand => ({
  type: 'UseOrder',
  data: { orderId: 'o-1', byUserId, now: when, amountCents },
});
/** The state of a placed order without usage rules, as `placed` leaves it. */
const live = { ...ref, placedAt: at, minSpendCents: 0, validUntil: null, expiryNoticed: false };

// An order valid until 18:00, placed with a minimum spend of 50.00.
const validUntil = '2026-12-01T18:00:00.000Z';
const before = new Date('2026-12-01T17:59:59.999Z');
const after = new Date(validUntil);
const ruled: OrderEvent = {
  type: 'OrderPlaced',
  schemaVersion: 2,
  data: {
    ...ref,
    placedAt: at,
    idempotencyKey: null,
    couponType: 'REGULAR',
    minSpendCents: 5000,
    validUntil,
  },
};
const usedOn = (amountCents: number | null, when = now): OrderEvent => ({
  type: 'OrderUsed',
  schemaVersion: 2,
  data: { ...ref, usedAt: when.toISOString(), amountCents },
});
const expire = (when: Date): OrderCommand => ({ type: 'ExpireOrder', data: { orderId: 'o-1', now: when } });
const expired: OrderEvent = {
  type: 'OrderExpired',
  schemaVersion: 1,
  data: { ...ref, expiredAt: after.toISOString(), validUntil },
};
const HOUR = 3_600_000;
const notice = (when: Date, leadMs = HOUR): OrderCommand => ({
  type: 'NoticeOrderExpiry',
  data: { orderId: 'o-1', now: when, leadMs },
});
const noticedAt = new Date('2026-12-01T17:00:00.000Z');
const noticed: OrderEvent = {
  type: 'OrderExpiryNoticed',
  schemaVersion: 1,
  data: { ...ref, noticedAt: noticedAt.toISOString(), validUntil },
};

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
        .thenState({ status: 'PLACED', ...live }));
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
        .thenState({ status: 'CANCELLED', ...live }));
    it('refuses another user', () => spec.given([placed]).when(cancel('u-2')).thenThrows('NOT_ORDER_OWNER'));
    it('refuses a missing order', () => spec.given([]).when(cancel()).thenThrows('ORDER_NOT_FOUND'));
    it('refuses an abandoned order', () =>
      spec.given([abandoned]).when(cancel()).thenThrows('ORDER_NOT_FOUND'));
    it('refuses a second cancellation', () =>
      spec.given([placed, cancelled]).when(cancel()).thenThrows('ORDER_ALREADY_CANCELLED'));
    it('refuses a used order', () =>
      spec.given([placed, used]).when(cancel()).thenThrows('ORDER_ALREADY_USED'));
    it('cancels a valid order up to the last millisecond of its validity', () =>
      spec
        .given([ruled])
        .when({ type: 'CancelOrder', data: { orderId: 'o-1', byUserId: 'u-1', now: before } })
        .then([
          { type: 'OrderCancelled', schemaVersion: 1, data: { ...ref, cancelledAt: before.toISOString() } },
        ]));
    it('refuses an expired order', () =>
      spec.given([ruled, expired]).when(cancel()).thenThrows('ORDER_EXPIRED'));
    it('refuses an order whose validity ended, before the expiry process stored it', () =>
      spec
        .given([ruled])
        .when({ type: 'CancelOrder', data: { orderId: 'o-1', byUserId: 'u-1', now: after } })
        .thenThrows('ORDER_EXPIRED'));
    it('still cancels an order whose expiry was noticed', () =>
      spec
        .given([ruled, noticed])
        .when(cancel())
        .thenState({
          status: 'CANCELLED',
          ...live,
          minSpendCents: 5000,
          validUntil,
          expiryNoticed: true,
        }));
  });

  describe('use', () => {
    it('uses a placed order for its owner', () => spec.given([placed]).when(use()).then([used]));
    it('ends USED', () =>
      spec
        .given([placed])
        .when(use())
        .thenState({ status: 'USED', ...live }));
    it('refuses another user', () => spec.given([placed]).when(use('u-2')).thenThrows('NOT_ORDER_OWNER'));
    it('refuses a missing order', () => spec.given([]).when(use()).thenThrows('ORDER_NOT_FOUND'));
    it('refuses a cancelled order', () =>
      spec.given([placed, cancelled]).when(use()).thenThrows('ORDER_CANCELLED'));
    it('refuses a second use', () => spec.given([placed, used]).when(use()).thenThrows('ORDER_ALREADY_USED'));

    describe('usage rules', () => {
      it('records the amount it was used on', () =>
        spec
          .given([placed])
          .when(use('u-1', 1234))
          .then([usedOn(1234)]));
      it('needs no amount when the order has no minimum spend', () =>
        spec
          .given([placed])
          .when(use('u-1', null))
          .then([usedOn(null)]));
      it('uses an order on an amount of exactly its minimum spend', () =>
        spec
          .given([ruled])
          .when(use('u-1', 5000))
          .then([usedOn(5000)]));
      it('uses an order on more than its minimum spend', () =>
        spec
          .given([ruled])
          .when(use('u-1', 9999))
          .then([usedOn(9999)]));
      it('refuses an amount under the minimum spend: MIN_SPEND_NOT_MET', () =>
        spec.given([ruled]).when(use('u-1', 4999)).thenThrows('MIN_SPEND_NOT_MET'));
      it('requires the amount when the order has a minimum spend (a validation error naming amountCents)', () => {
        spec.given([ruled]).when(use('u-1', null)).thenThrows('VALIDATION_FAILED');
        let thrown: unknown;
        try {
          orderDecider.decide(use('u-1', null), fold(orderDecider, [ruled]));
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toMatchObject({ details: { issues: [{ path: 'amountCents' }] } });
      });
      it('refuses a negative or fractional amount', () => {
        spec.given([placed]).when(use('u-1', -1)).thenThrows('VALIDATION_FAILED');
        spec.given([placed]).when(use('u-1', 10.5)).thenThrows('VALIDATION_FAILED');
      });
      it('uses a valid order up to the last millisecond of its validity', () =>
        spec
          .given([ruled])
          .when(use('u-1', 5000, before))
          .then([usedOn(5000, before)]));
      it('refuses a use once its validity ended, before the expiry process stored it: ORDER_EXPIRED', () =>
        spec
          .given([ruled])
          .when(use('u-1', 5000, after))
          .thenThrows('ORDER_EXPIRED'));
      it('refuses an expired order', () =>
        spec
          .given([ruled, expired])
          .when(use('u-1', 5000, before))
          .thenThrows('ORDER_EXPIRED'));
      it('says ORDER_EXPIRED before judging the amount', () =>
        spec.given([ruled, expired]).when(use('u-1', 1)).thenThrows('ORDER_EXPIRED'));
      it('uses an order whose expiry was noticed', () =>
        spec
          .given([ruled, noticed])
          .when(use('u-1', 5000, before))
          .then([usedOn(5000, before)]));
    });
  });

  describe('expire', () => {
    it('expires a placed order once its validity ended', () =>
      spec.given([ruled]).when(expire(after)).then([expired]));
    it('ends EXPIRED', () =>
      spec
        .given([ruled])
        .when(expire(after))
        .thenState({ status: 'EXPIRED', ...live, minSpendCents: 5000, validUntil }));
    it('expires an order whose expiry was noticed', () =>
      spec.given([ruled, noticed]).when(expire(after)).then([expired]));
    it('leaves an order alone before its validity ends', () =>
      spec.given([ruled]).when(expire(before)).then([]));
    it('never expires an order valid for ever', () =>
      spec
        .given([placed])
        .when(expire(new Date('2999-01-01T00:00:00Z')))
        .then([]));
    it('never expires an order twice', () =>
      spec
        .given([ruled, expired])
        .when(expire(new Date('2027-01-01T00:00:00Z')))
        .then([]));
    it('never expires a used order', () =>
      spec
        .given([ruled, usedOn(5000)])
        .when(expire(after))
        .then([]));
    it('never expires a cancelled order', () => spec.given([ruled, cancelled]).when(expire(after)).then([]));
    it('has nothing to expire for a missing or abandoned order', () => {
      spec.given([]).when(expire(after)).then([]);
      spec.given([abandoned]).when(expire(after)).then([]);
    });
  });

  describe('notice of expiry', () => {
    it('notices a placed order once the lead time before its validity ends is reached', () =>
      spec.given([ruled]).when(notice(noticedAt)).then([noticed]));
    it('is remembered in the state', () =>
      spec
        .given([ruled])
        .when(notice(noticedAt))
        .thenState({ status: 'PLACED', ...live, minSpendCents: 5000, validUntil, expiryNoticed: true }));
    it('notices any time inside the lead time', () =>
      spec
        .given([ruled])
        .when(notice(before))
        .then([
          {
            type: 'OrderExpiryNoticed',
            schemaVersion: 1,
            data: { ...ref, noticedAt: before.toISOString(), validUntil },
          },
        ]));
    it('does not notice before the lead time', () =>
      spec
        .given([ruled])
        .when(notice(new Date(noticedAt.getTime() - 1)))
        .then([]));
    it('never notices twice', () => spec.given([ruled, noticed]).when(notice(before)).then([]));
    it('does not notice an order whose validity ended (it expires instead)', () =>
      spec.given([ruled]).when(notice(after)).then([]));
    it('never notices an order valid for ever, used, cancelled, expired, missing or abandoned', () => {
      spec.given([placed]).when(notice(now)).then([]);
      spec
        .given([ruled, usedOn(5000)])
        .when(notice(before))
        .then([]);
      spec.given([ruled, cancelled]).when(notice(before)).then([]);
      spec.given([ruled, expired]).when(notice(before)).then([]);
      spec.given([]).when(notice(before)).then([]);
      spec.given([abandoned]).when(notice(before)).then([]);
    });
    it('takes the lead time it is given', () =>
      spec
        .given([ruled])
        .when(notice(new Date('2026-12-01T12:00:00.000Z'), 6 * HOUR))
        .then([
          {
            type: 'OrderExpiryNoticed',
            schemaVersion: 1,
            data: { ...ref, noticedAt: '2026-12-01T12:00:00.000Z', validUntil },
          },
        ]));
  });
});
