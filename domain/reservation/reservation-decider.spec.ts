import { DeciderSpecification } from '../../test/support/decider-specification';
import { reservationDecider, type CouponFacts, type ReservationCommand } from './reservation-decider';
import type { ReservationEvent } from './reservation-events';

const spec = DeciderSpecification.for(reservationDecider);
const ref = { reservationId: 'r-1', couponId: 'c-1', userId: 'u-1' };
const now = new Date('2026-12-01T09:00:00Z');
const at = now.toISOString();
const registered = '2026-01-01T00:00:00.000Z';
const coupon: CouponFacts = {
  couponType: 'SECKILL',
  status: 'active',
  saleStartsAt: '2026-12-01T10:00:00.000Z',
};

const placed: ReservationEvent = {
  type: 'ReservationPlaced',
  schemaVersion: 1,
  data: { ...ref, reservedAt: at, accountRegisteredAt: registered },
};
const firing = (orderId = 'o-1', attempt = 1): ReservationEvent => ({
  type: 'ReservationFiring',
  schemaVersion: 1,
  data: { ...ref, orderId, attempt, firingAt: at },
});
const succeeded: ReservationEvent = {
  type: 'ReservationSucceeded',
  schemaVersion: 1,
  data: { ...ref, orderId: 'o-1', succeededAt: at },
};
const failed: ReservationEvent = {
  type: 'ReservationFailed',
  schemaVersion: 1,
  data: { ...ref, code: 'SOLD_OUT', message: 'the coupon is sold out', failedAt: at },
};
const cancelled: ReservationEvent = {
  type: 'ReservationCancelled',
  schemaVersion: 1,
  data: { ...ref, cancelledAt: at },
};
const expired: ReservationEvent = {
  type: 'ReservationExpired',
  schemaVersion: 1,
  data: { ...ref, reason: 'SALE_ENDED', expiredAt: at },
};

const place = (facts: CouponFacts | null = coupon, when = now): ReservationCommand => ({
  type: 'PlaceReservation',
  data: { ...ref, coupon: facts, accountRegisteredAt: registered, now: when },
});
const cancel = (byUserId = 'u-1'): ReservationCommand => ({
  type: 'CancelReservation',
  data: { reservationId: 'r-1', byUserId, now },
});
const fire = (orderId = 'o-1', abandonedOrderId: string | null = null): ReservationCommand => ({
  type: 'FireReservation',
  data: { reservationId: 'r-1', orderId, abandonedOrderId, now },
});
const succeed: ReservationCommand = {
  type: 'SucceedReservation',
  data: { reservationId: 'r-1', orderId: 'o-1', now },
};
const fail: ReservationCommand = {
  type: 'FailReservation',
  data: { reservationId: 'r-1', code: 'SOLD_OUT', message: 'the coupon is sold out', now },
};
const expire: ReservationCommand = {
  type: 'ExpireReservation',
  data: { reservationId: 'r-1', reason: 'SALE_ENDED', now },
};

const pending = {
  ...ref,
  status: 'PENDING',
  reservedAt: at,
  accountRegisteredAt: registered,
  orderId: null,
  attempt: 0,
  code: null,
} as const;

describe('reservation decider', () => {
  describe('PlaceReservation', () => {
    it('places a reservation before the window opens', () => spec.given([]).when(place()).then([placed]));
    it('starts PENDING', () => spec.given([]).when(place()).thenState(pending));
    it('refuses a second live reservation in the same place', () =>
      spec.given([placed]).when(place()).thenThrows('RESERVATION_EXISTS'));
    it('refuses while the reservation fires', () =>
      spec.given([placed, firing()]).when(place()).thenThrows('RESERVATION_EXISTS'));
    it('never reuses a stream that ended (the handler moves to the next one)', () =>
      spec.given([placed, cancelled]).when(place()).thenThrows('RESERVATION_EXISTS'));
    it('refuses a coupon that does not exist', () =>
      spec.given([]).when(place(null)).thenThrows('COUPON_NOT_FOUND'));
    it('refuses a coupon that is not a flash sale', () =>
      spec
        .given([])
        .when(place({ ...coupon, couponType: 'REGULAR' }))
        .thenThrows('NOT_A_SECKILL_COUPON'));
    it('refuses a closed coupon', () =>
      spec
        .given([])
        .when(place({ ...coupon, status: 'closed' }))
        .thenThrows('COUPON_CLOSED'));
    it('refuses a deactivated coupon', () =>
      spec
        .given([])
        .when(place({ ...coupon, status: 'inactive' }))
        .thenThrows('COUPON_INACTIVE'));
    it('refuses once the window opened (at its first millisecond)', () =>
      spec
        .given([])
        .when(place(coupon, new Date(coupon.saleStartsAt)))
        .thenThrows('SALE_ALREADY_STARTED'));
    it('takes one a millisecond before the window opens', () =>
      spec
        .given([])
        .when(place(coupon, new Date(Date.parse(coupon.saleStartsAt) - 1)))
        .then([
          {
            ...placed,
            data: { ...placed.data, reservedAt: '2026-12-01T09:59:59.999Z' },
          },
        ]));
  });

  describe('CancelReservation', () => {
    it('cancels a pending reservation', () => spec.given([placed]).when(cancel()).then([cancelled]));
    it('ends CANCELLED', () =>
      spec
        .given([placed])
        .when(cancel())
        .thenState({ ...pending, status: 'CANCELLED' }));
    it('cannot cancel once firing', () =>
      spec.given([placed, firing()]).when(cancel()).thenThrows('RESERVATION_NOT_PENDING'));
    it('cannot cancel a succeeded one', () =>
      spec.given([placed, firing(), succeeded]).when(cancel()).thenThrows('RESERVATION_NOT_PENDING'));
    it('cannot cancel twice', () =>
      spec.given([placed, cancelled]).when(cancel()).thenThrows('RESERVATION_ALREADY_CANCELLED'));
    it("refuses another buyer's reservation", () =>
      spec.given([placed]).when(cancel('u-2')).thenThrows('NOT_RESERVATION_OWNER'));
    it('refuses one that does not exist', () =>
      spec.given([]).when(cancel()).thenThrows('RESERVATION_NOT_FOUND'));
  });

  describe('FireReservation', () => {
    it('fixes the order id of the first attempt', () => spec.given([placed]).when(fire()).then([firing()]));
    it('moves to FIRING with the order', () =>
      spec
        .given([placed])
        .when(fire())
        .thenState({ ...pending, status: 'FIRING', orderId: 'o-1', attempt: 1 }));
    it('never fires a reservation twice', () =>
      spec.given([placed, firing()]).when(fire('o-2')).thenThrows('RESERVATION_NOT_PENDING'));
    it('fires again only with a new order once the previous one was abandoned', () =>
      spec
        .given([placed, firing()])
        .when(fire('o-2', 'o-1'))
        .then([firing('o-2', 2)]));
    it('refuses a re-fire naming another order than the current attempt', () =>
      spec
        .given([placed, firing('o-1'), firing('o-2', 2)])
        .when(fire('o-3', 'o-1'))
        .thenThrows('RESERVATION_NOT_PENDING'));
    it('refuses a re-fire with the abandoned order itself', () =>
      spec.given([placed, firing()]).when(fire('o-1', 'o-1')).thenThrows('RESERVATION_NOT_PENDING'));
    it('does not fire a cancelled reservation', () =>
      spec.given([placed, cancelled]).when(fire()).thenThrows('RESERVATION_NOT_PENDING'));
    it('does not fire an expired reservation', () =>
      spec.given([placed, expired]).when(fire()).thenThrows('RESERVATION_NOT_PENDING'));
    it('does not fire what does not exist', () =>
      spec.given([]).when(fire()).thenThrows('RESERVATION_NOT_FOUND'));
  });

  describe('SucceedReservation', () => {
    it('succeeds a firing reservation with its order', () =>
      spec.given([placed, firing()]).when(succeed).then([succeeded]));
    it('ends SUCCEEDED', () =>
      spec
        .given([placed, firing()])
        .when(succeed)
        .thenState({ ...pending, status: 'SUCCEEDED', orderId: 'o-1', attempt: 1 }));
    it('needs FIRING first', () => spec.given([placed]).when(succeed).thenThrows('RESERVATION_NOT_PENDING'));
    it('succeeds once', () =>
      spec.given([placed, firing(), succeeded]).when(succeed).thenThrows('RESERVATION_NOT_PENDING'));
  });

  describe('FailReservation', () => {
    it("fails a firing reservation with the seckill's refusal", () =>
      spec.given([placed, firing()]).when(fail).then([failed]));
    it('ends FAILED with the code', () =>
      spec
        .given([placed, firing()])
        .when(fail)
        .thenState({ ...pending, status: 'FAILED', orderId: 'o-1', attempt: 1, code: 'SOLD_OUT' }));
    it('needs FIRING first', () => spec.given([placed]).when(fail).thenThrows('RESERVATION_NOT_PENDING'));
    it('cannot fail a succeeded one', () =>
      spec.given([placed, firing(), succeeded]).when(fail).thenThrows('RESERVATION_NOT_PENDING'));
  });

  describe('ExpireReservation', () => {
    it('expires a pending reservation', () => spec.given([placed]).when(expire).then([expired]));
    it('ends EXPIRED with the reason', () =>
      spec
        .given([placed])
        .when(expire)
        .thenState({ ...pending, status: 'EXPIRED', code: 'SALE_ENDED' }));
    it('does not expire a firing one (its purchase decides)', () =>
      spec.given([placed, firing()]).when(expire).thenThrows('RESERVATION_NOT_PENDING'));
    it('does not expire a cancelled one', () =>
      spec.given([placed, cancelled]).when(expire).thenThrows('RESERVATION_NOT_PENDING'));
  });
});
