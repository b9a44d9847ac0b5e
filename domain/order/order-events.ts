import type { DomainEvent } from '../shared/event';

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

export const ORDER_STREAM_PREFIX = 'order-';
export const orderStreamId = (orderId: string): string => `${ORDER_STREAM_PREFIX}${orderId}`;
