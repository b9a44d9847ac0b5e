import { z } from 'zod';
import type { SeckillResult } from '../../commands/seckill-handler';
import { couponIdParam } from '../../infra/http/id-params';
import {
  answerHeader,
  RATE_LIMIT_ANSWER_HEADERS,
  type ApiOperation,
  type Same,
} from '../../infra/http/openapi';
import { IDEMPOTENCY_KEY } from '../seckill-answer';
import { orderCommandResult } from './order-contract';

/** The header seckillAnswer checks with IDEMPOTENCY_KEY (write-api/seckill-answer.ts). */
export const seckillHeaders = z.object({
  'Idempotency-Key': z.string().regex(IDEMPOTENCY_KEY).optional().meta({
    description:
      'Your key for this purchase, 1 to 128 visible ASCII characters: a retry with the same key answers the original order (200, `Idempotent-Replayed: true`) and never buys twice.',
  }),
});

const _seckillAnswer: Same<z.output<typeof orderCommandResult>, Omit<SeckillResult, 'replayed'>> = true;

const orderLocation = answerHeader("the order's path on the read API", {
  type: 'string',
  pattern: '^/api/v1/orders/[0-9a-f-]{36}$',
});

export const seckillOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/seckill/:couponId',
  operationId: 'seckill',
  summary: 'Buy a unit of a coupon',
  description:
    "One Redis round trip checks the sale window, the coupon's account-age rule, the buyer's limit and the stock at once; the order is stored in the event store before the answer. Without an `Idempotency-Key`, a buyer at the coupon's per-user limit gets `409 LIMIT_REACHED` with the orders they hold. Before Redis, each write-api replica admits a buyer's clicks up to a per-second quota (`429 RATE_LIMITED`, its state in the `RateLimit` fields of every answer) and, when configured, a coupon's seckills up to an admission rate (`503 OVERLOADED`: a stampede past capacity; nothing was done).",
  tag: 'seckill',
  access: 'user',
  params: couponIdParam,
  headers: seckillHeaders,
  body: {
    schema: z.unknown().meta({ description: 'ignored' }),
    required: false,
    description: 'none is needed; a JSON body is read and ignored',
  },
  answers: {
    201: {
      description: 'placed',
      schema: orderCommandResult,
      headers: { Location: orderLocation, ...RATE_LIMIT_ANSWER_HEADERS },
    },
    200: {
      description: 'a retry with the same `Idempotency-Key`: the original order',
      schema: orderCommandResult,
      headers: {
        Location: orderLocation,
        ...RATE_LIMIT_ANSWER_HEADERS,
        'Idempotent-Replayed': answerHeader('this answer replays an earlier one', {
          type: 'string',
          const: 'true',
        }),
      },
    },
  },
  errors: [
    'COUPON_NOT_FOUND',
    'SOLD_OUT',
    'LIMIT_REACHED',
    'SALE_NOT_STARTED',
    'SALE_ENDED',
    'COUPON_CLOSED',
    'ACCOUNT_TOO_NEW',
    'COUPON_INACTIVE',
    'NOT_A_SECKILL_COUPON',
    'COUPON_EXPIRED',
    'SECKILL_IN_PROGRESS',
    'RATE_LIMITED',
    'DEPENDENCY_UNAVAILABLE',
    'OVERLOADED',
    'GATE_RECOVERING',
  ],
};

export const claimOperation: ApiOperation = {
  ...seckillOperation,
  route: '/api/v1/coupons/:couponId/claim',
  operationId: 'claimCoupon',
  summary: 'Claim a unit of a regular coupon',
  description:
    "For `REGULAR` coupons (a `SECKILL` coupon answers `409 NOT_A_REGULAR_COUPON`): claimable at any time while stock lasts, with the seckill's semantics otherwise: one Redis round trip checks the coupon's state, the account-age rule, the buyer's limit and the stock at once, and the order is stored in the event store before the answer; `Idempotency-Key` replays, `409 LIMIT_REACHED` with the orders the buyer holds, the same admission control (`429 RATE_LIMITED`, `503 OVERLOADED`).",
  tag: 'coupons',
  errors: [
    'COUPON_NOT_FOUND',
    'SOLD_OUT',
    'LIMIT_REACHED',
    'COUPON_CLOSED',
    'COUPON_INACTIVE',
    'NOT_A_REGULAR_COUPON',
    'COUPON_EXPIRED',
    'ACCOUNT_TOO_NEW',
    'SECKILL_IN_PROGRESS',
    'RATE_LIMITED',
    'DEPENDENCY_UNAVAILABLE',
    'OVERLOADED',
    'GATE_RECOVERING',
  ],
};
