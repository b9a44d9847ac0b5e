import type { DomainEvent } from '../shared/event';
import type { Upcaster } from '../shared/upcaster';

interface OrderRef {
  orderId: string;
  couponId: string;
  userId: string;
}

/** A won seckill: the buyer holds one unit of the coupon. */
export type OrderPlaced = DomainEvent<
  'OrderPlaced',
  OrderRef & { placedAt: string; idempotencyKey: string | null }
>;
export type OrderCancelled = DomainEvent<'OrderCancelled', OrderRef & { cancelledAt: string }>;
export type OrderUsed = DomainEvent<'OrderUsed', OrderRef & { usedAt: string }>;
/**
 * A reservation that never became an order (the process died or the append failed). Written by the reconciler to
 * fence the order stream: once it is there, the late `OrderPlaced` of the same order can never be appended.
 */
export type SeckillAbandoned = DomainEvent<
  'SeckillAbandoned',
  OrderRef & { abandonedAt: string; reason: string }
>;

export type OrderEvent = OrderPlaced | OrderCancelled | OrderUsed | SeckillAbandoned;

/** The schema version each order event is written with today. */
export const ORDER_EVENT_VERSIONS: { readonly [T in OrderEvent['type']]: number } = {
  OrderPlaced: 1,
  OrderCancelled: 1,
  OrderUsed: 1,
  SeckillAbandoned: 1,
};

export const ORDER_UPCASTERS: readonly Upcaster[] = [];

export const ORDER_STREAM_PREFIX = 'order-';
export const orderStreamId = (orderId: string): string => `${ORDER_STREAM_PREFIX}${orderId}`;
