import { Counter, type Registry } from 'prom-client';
import type { SeckillResult } from '../../commands/seckill-command';
import { ApiError } from '../http/api-error';

/** Visible ASCII without spaces: the key is stored next to the buyer's id in the gate. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

/** The route template both the express route and the lean hot path report in their metrics. */
export const SECKILL_ROUTE = '/api/v1/seckill/:couponId';

export const invalidIdempotencyKey = (): ApiError =>
  new ApiError(400, 'VALIDATION_FAILED', 'Idempotency-Key must be 1 to 128 visible ASCII characters');

export const orderLocation = (orderId: string): string => `/api/v1/orders/${orderId}`;

/** The answer body: the result without its `replayed` flag, which travels as status and header instead. */
export const orderBody = ({
  replayed: _replayed,
  ...order
}: SeckillResult): Omit<SeckillResult, 'replayed'> => order;

/** One counter per registry, whichever of the two seckill entry points asks first. */
export const seckillOutcomes = (registry: Registry): Counter<'code'> =>
  (registry.getSingleMetric('seckill_outcomes_total') as Counter<'code'> | undefined) ??
  new Counter({
    name: 'seckill_outcomes_total',
    help: 'Seckill attempts by outcome code (PLACED, REPLAYED, or the error code)',
    labelNames: ['code'],
    registers: [registry],
  });
