import type { DomainEvent } from '../shared/event';
import type { CouponType } from '../coupon/coupon-events';
import type { Upcaster } from '../shared/upcaster';

interface OrderRef {
  orderId: string;
  couponId: string;
  userId: string;
}

/**
 * A won seckill or regular claim: the buyer holds one unit of the coupon. Schema version 2 adds what the order needs
 * to be used and to expire without reading the coupon again: the coupon's type, its minimum spend in cents, and the
 * time the order stops being usable (ISO-8601; null: never), fixed when the order was placed.
 */
export type OrderPlaced = DomainEvent<
  'OrderPlaced',
  OrderRef & {
    placedAt: string;
    idempotencyKey: string | null;
    couponType: CouponType;
    minSpendCents: number;
    validUntil: string | null;
  }
>;
export type OrderCancelled = DomainEvent<'OrderCancelled', OrderRef & { cancelledAt: string }>;
/** Used on a purchase of `amountCents` (at least the coupon's minimum spend). */
export type OrderUsed = DomainEvent<'OrderUsed', OrderRef & { usedAt: string; amountCents: number | null }>;
/** Its validity ended while it was placed and unused; it can no longer be used or cancelled. */
export type OrderExpired = DomainEvent<'OrderExpired', OrderRef & { expiredAt: string; validUntil: string }>;
/** Its validity ends within the configured lead time: the buyer is told once. */
export type OrderExpiryNoticed = DomainEvent<
  'OrderExpiryNoticed',
  OrderRef & { noticedAt: string; validUntil: string }
>;
/**
 * A reservation that never became an order (the process died or the append failed). Written by the reconciler to
 * fence the order stream: once it is there, the late `OrderPlaced` of the same order can never be appended.
 */
export type SeckillAbandoned = DomainEvent<
  'SeckillAbandoned',
  OrderRef & { abandonedAt: string; reason: string }
>;

export type OrderEvent =
  OrderPlaced | OrderCancelled | OrderUsed | OrderExpiryNoticed | OrderExpired | SeckillAbandoned;

/** The schema version each order event is written with today. */
export const ORDER_EVENT_VERSIONS: { readonly [T in OrderEvent['type']]: number } = {
  OrderPlaced: 2,
  OrderCancelled: 1,
  OrderUsed: 2,
  OrderExpiryNoticed: 1,
  OrderExpired: 1,
  SeckillAbandoned: 1,
};

/** Orders placed before coupon types and usage rules existed were flash-sale orders, with no rule, valid for ever. */
export const ORDER_UPCASTERS: readonly Upcaster[] = [
  {
    type: 'OrderPlaced',
    fromVersion: 1,
    upcast: (data) => ({ ...data, couponType: 'SECKILL', minSpendCents: 0, validUntil: null }),
  },
  { type: 'OrderUsed', fromVersion: 1, upcast: (data) => ({ ...data, amountCents: null }) },
];

export const ORDER_STREAM_PREFIX = 'order-';
export const orderStreamId = (orderId: string): string => `${ORDER_STREAM_PREFIX}${orderId}`;
