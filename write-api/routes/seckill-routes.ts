import { Router } from 'express';
import { Counter, type Registry } from 'prom-client';
import type { SeckillCommand } from '../../commands/seckill-command';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { ApiError } from '../http/api-error';
import { authenticate } from '../http/auth';
import { toApiError } from '../http/error-mapping';
import { commandContext, principalOf } from '../http/request-context';
import { parseWith } from '../http/validation';
import { couponIdParam } from './params';

/** Visible ASCII without spaces: the key is stored next to the buyer's id in the gate. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

export const seckillRoutes = (seckill: SeckillCommand, tokens: JwtTokens, registry: Registry): Router => {
  const outcomes = new Counter({
    name: 'seckill_outcomes_total',
    help: 'Seckill attempts by outcome code (PLACED, REPLAYED, or the error code)',
    labelNames: ['code'],
    registers: [registry],
  });
  const router = Router();

  router.post('/:couponId', authenticate(tokens), async (req, res) => {
    try {
      const { couponId } = parseWith(couponIdParam, req.params, 'path');
      const idempotencyKey = req.get('idempotency-key') ?? null;
      if (idempotencyKey !== null && !IDEMPOTENCY_KEY.test(idempotencyKey))
        throw new ApiError(
          400,
          'VALIDATION_FAILED',
          'Idempotency-Key must be 1 to 128 visible ASCII characters',
        );
      const { replayed, ...order } = await seckill.handle(
        { couponId, userId: principalOf(res).userId, idempotencyKey },
        commandContext(res),
      );
      outcomes.inc({ code: replayed ? 'REPLAYED' : 'PLACED' });
      if (replayed) res.setHeader('Idempotent-Replayed', 'true');
      res
        .status(replayed ? 200 : 201)
        .location(`/api/v1/orders/${order.orderId}`)
        .json(order);
    } catch (error) {
      outcomes.inc({ code: toApiError(error)?.code ?? 'INTERNAL_ERROR' });
      throw error;
    }
  });

  return router;
};
