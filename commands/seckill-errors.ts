import type { SeckillRefusal } from './stock-gate-port';

/** The gate refused the buyer. `orderIds` are the buyer's live orders when the refusal is LIMIT_REACHED. */
export class SeckillRefusedError extends Error {
  constructor(
    readonly code: SeckillRefusal,
    readonly orderIds: readonly string[],
  ) {
    super(REFUSAL_MESSAGES[code]);
    this.name = 'SeckillRefusedError';
  }
}

/** The same idempotency key is still being processed by an earlier request. */
export class SeckillInProgressError extends Error {
  constructor(readonly orderId: string) {
    super(`an earlier request with this idempotency key is still being processed (order ${orderId})`);
    this.name = 'SeckillInProgressError';
  }
}

const REFUSAL_MESSAGES: Record<SeckillRefusal, string> = {
  SOLD_OUT: 'the coupon is sold out',
  LIMIT_REACHED: 'you already hold as many of this coupon as one buyer may',
  SALE_NOT_STARTED: 'the sale has not started yet',
  SALE_ENDED: 'the sale has ended',
  COUPON_CLOSED: 'the coupon is closed',
  ACCOUNT_TOO_NEW:
    'your account is too new to buy this coupon (log in again if it was made before your token)',
  COUPON_INACTIVE: 'the coupon is deactivated: it cannot be bought or claimed until it is reactivated',
  NOT_A_SECKILL_COUPON:
    'this is a REGULAR coupon: claim it with POST /api/v1/coupons/{couponId}/claim instead',
  NOT_A_REGULAR_COUPON:
    'this is a SECKILL coupon: buy it in its sale window with POST /api/v1/seckill/{couponId}',
  COUPON_EXPIRED: 'the coupon is no longer valid: its orders could not be used',
};
