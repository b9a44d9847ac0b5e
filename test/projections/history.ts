import type { RecordedEvent } from '../../commands/event-store-port';
import { storedEvents } from '../support/projection-specification';

export const COUPON = '01900000-0000-7000-8000-00000000c001';
export const OTHER_COUPON = '01900000-0000-7000-8000-00000000c002';
const order = (n: number) => `01900000-0000-7000-8000-0000000000${String(n).padStart(2, '0')}`;
export const ORDERS = {
  alicePlaced: order(1),
  aliceCancelled: order(2),
  bobUsed: order(3),
  bobOther: order(4),
};
const placedAt = (n: number) => `2026-01-01T10:00:0${String(n)}.000Z`;

const placed = (orderId: string, couponId: string, userId: string, n: number) =>
  [
    `order-${orderId}`,
    {
      type: 'OrderPlaced',
      schemaVersion: 1,
      data: { orderId, couponId, userId, placedAt: placedAt(n), idempotencyKey: null },
    },
  ] as const;
const cancelled = (orderId: string, couponId: string, userId: string) =>
  [
    `order-${orderId}`,
    {
      type: 'OrderCancelled',
      schemaVersion: 1,
      data: { orderId, couponId, userId, cancelledAt: placedAt(8) },
    },
  ] as const;
const used = (orderId: string, couponId: string, userId: string) =>
  [
    `order-${orderId}`,
    { type: 'OrderUsed', schemaVersion: 1, data: { orderId, couponId, userId, usedAt: placedAt(9) } },
  ] as const;

/**
 * One small history that every read model's spec projects: a coupon created by the release before descriptions
 * (CouponCreated v1, upcast on read), its stock topped up and the coupon closed; another coupon; orders placed,
 * cancelled and used by two buyers; a seckill abandoned before its order was stored; a user registered.
 */
export const HISTORY: RecordedEvent[] = storedEvents([
  [
    `coupon-${COUPON}`,
    {
      type: 'CouponCreated',
      schemaVersion: 1,
      data: {
        couponId: COUPON,
        name: 'Ten off',
        faceValueCents: 1000,
        totalStock: 5,
        perUserLimit: 2,
        saleStartsAt: '2026-01-01T09:00:00.000Z',
        saleEndsAt: '2026-01-01T11:00:00.000Z',
      },
    },
  ],
  [
    `coupon-${OTHER_COUPON}`,
    {
      type: 'CouponCreated',
      schemaVersion: 2,
      data: {
        couponId: OTHER_COUPON,
        name: 'Free shipping',
        description: 'Orders over 20',
        faceValueCents: 500,
        totalStock: 1,
        perUserLimit: 1,
        saleStartsAt: '2026-01-01T09:00:00.000Z',
        saleEndsAt: '2026-01-02T09:00:00.000Z',
      },
    },
  ],
  placed(ORDERS.alicePlaced, COUPON, 'alice', 1),
  placed(ORDERS.aliceCancelled, COUPON, 'alice', 2),
  placed(ORDERS.bobUsed, COUPON, 'bob', 3),
  [
    `coupon-${COUPON}`,
    { type: 'CouponStockAdded', schemaVersion: 1, data: { couponId: COUPON, quantity: 3, totalStock: 8 } },
  ],
  cancelled(ORDERS.aliceCancelled, COUPON, 'alice'),
  used(ORDERS.bobUsed, COUPON, 'bob'),
  placed(ORDERS.bobOther, OTHER_COUPON, 'bob', 4),
  [
    `order-01900000-0000-7000-8000-0000000000ff`,
    {
      type: 'SeckillAbandoned',
      schemaVersion: 1,
      data: {
        orderId: '01900000-0000-7000-8000-0000000000ff',
        couponId: COUPON,
        userId: 'carol',
        abandonedAt: placedAt(7),
        reason: 'append failed',
      },
    },
  ],
  [
    'user-alice',
    {
      type: 'UserRegistered',
      schemaVersion: 1,
      data: {
        userId: 'alice',
        username: 'alice',
        passwordHash: 'x',
        role: 'user',
        registeredAt: placedAt(0),
      },
    },
  ],
  [
    `coupon-${COUPON}`,
    { type: 'CouponClosed', schemaVersion: 1, data: { couponId: COUPON, closedAt: placedAt(9) } },
  ],
]);
