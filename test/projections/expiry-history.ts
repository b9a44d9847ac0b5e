import type { RecordedEvent } from '../../commands/event-store-port';
import { storedEvents } from '../support/projection-specification';
import { HISTORY } from './history';

export const REGULAR_COUPON = '01900000-0000-7000-8000-00000000c003';
export const SECKILL_COUPON = '01900000-0000-7000-8000-00000000c004';
const order = (n: number) => `01900000-0000-7000-8000-0000000001${String(n).padStart(2, '0')}`;
export const LIFECYCLE_ORDERS = {
  /** Regular, min spend 50.00, valid until Jan 5: noticed, then expired. */
  daveExpired: order(1),
  /** Regular, valid until Jan 5: noticed, then used on 60.00. */
  daveNoticedUsed: order(2),
  /** Seckill, valid until Jan 9: noticed only, still placed. */
  daveNoticed: order(3),
  /** Seckill, valid until Jan 3: expired without a notice. */
  erinExpired: order(4),
};
export const VALID_UNTIL = {
  jan5: '2026-01-05T00:00:00.000Z',
  jan9: '2026-01-09T00:00:00.000Z',
  jan3: '2026-01-03T00:00:00.000Z',
};

const placed = (
  orderId: string,
  couponId: string,
  userId: string,
  couponType: 'SECKILL' | 'REGULAR',
  validUntil: string,
  minSpendCents = 0,
) =>
  [
    `order-${orderId}`,
    {
      type: 'OrderPlaced',
      schemaVersion: 2,
      data: {
        orderId,
        couponId,
        userId,
        placedAt: '2026-01-01T12:00:00.000Z',
        idempotencyKey: null,
        couponType,
        minSpendCents,
        validUntil,
      },
    },
  ] as const;
const noticed = (orderId: string, couponId: string, userId: string, validUntil: string) =>
  [
    `order-${orderId}`,
    {
      type: 'OrderExpiryNoticed',
      schemaVersion: 1,
      data: { orderId, couponId, userId, noticedAt: '2026-01-02T00:00:00.000Z', validUntil },
    },
  ] as const;
const expired = (orderId: string, couponId: string, userId: string, validUntil: string) =>
  [
    `order-${orderId}`,
    {
      type: 'OrderExpired',
      schemaVersion: 1,
      data: { orderId, couponId, userId, expiredAt: '2026-01-06T00:00:00.123Z', validUntil },
    },
  ] as const;

/**
 * HISTORY and then the time-driven part of the lifecycle: orders placed with validity and a minimum spend (OrderPlaced
 * v2) on a regular and a seckill coupon, their coming expiry noticed, some expired, one used after its notice.
 */
export const LIFECYCLE_HISTORY: RecordedEvent[] = (() => {
  const { daveExpired, daveNoticedUsed, daveNoticed, erinExpired } = LIFECYCLE_ORDERS;
  const own = storedEvents([
    placed(daveExpired, REGULAR_COUPON, 'dave', 'REGULAR', VALID_UNTIL.jan5, 5000),
    placed(daveNoticedUsed, REGULAR_COUPON, 'dave', 'REGULAR', VALID_UNTIL.jan5, 5000),
    placed(daveNoticed, SECKILL_COUPON, 'dave', 'SECKILL', VALID_UNTIL.jan9),
    placed(erinExpired, SECKILL_COUPON, 'erin', 'SECKILL', VALID_UNTIL.jan3),
    noticed(daveExpired, REGULAR_COUPON, 'dave', VALID_UNTIL.jan5),
    noticed(daveNoticedUsed, REGULAR_COUPON, 'dave', VALID_UNTIL.jan5),
    [
      `order-${daveNoticedUsed}`,
      {
        type: 'OrderUsed',
        schemaVersion: 2,
        data: {
          orderId: daveNoticedUsed,
          couponId: REGULAR_COUPON,
          userId: 'dave',
          usedAt: '2026-01-03T00:00:00.000Z',
          amountCents: 6000,
        },
      },
    ],
    noticed(daveNoticed, SECKILL_COUPON, 'dave', VALID_UNTIL.jan9),
    expired(erinExpired, SECKILL_COUPON, 'erin', VALID_UNTIL.jan3),
    expired(daveExpired, REGULAR_COUPON, 'dave', VALID_UNTIL.jan5),
  ]);
  const offset = BigInt(HISTORY.length);
  return [...HISTORY, ...own.map((e) => ({ ...e, position: e.position + offset }))];
})();
