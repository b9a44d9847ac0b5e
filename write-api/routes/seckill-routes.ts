import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { SeckillCommand } from '../../commands/seckill-command';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { authenticate } from '../http/auth';
import { toApiError } from '../http/error-mapping';
import { commandContext, principalOf } from '../http/request-context';
import { parseWith } from '../http/validation';
import { couponIdParam } from './params';
import {
  IDEMPOTENCY_KEY,
  invalidIdempotencyKey,
  orderBody,
  orderLocation,
  seckillOutcomes,
} from './seckill-request';

/**
 * The seckill route as express serves it. Requests without a body on the canonical path never get here: the lean
 * hot path (write-api/seckill-fast-path.ts) answers them the same way, and this route keeps every other case.
 */
export const seckillRoutes = (seckill: SeckillCommand, tokens: JwtTokens, registry: Registry): Router => {
  const outcomes = seckillOutcomes(registry);
  const router = Router();

  router.post('/:couponId', authenticate(tokens), async (req, res) => {
    try {
      const { couponId } = parseWith(couponIdParam, req.params, 'path');
      const idempotencyKey = req.get('idempotency-key') ?? null;
      if (idempotencyKey !== null && !IDEMPOTENCY_KEY.test(idempotencyKey)) throw invalidIdempotencyKey();
      const result = await seckill.handle(
        { couponId, userId: principalOf(res).userId, idempotencyKey },
        commandContext(res),
      );
      outcomes.inc({ code: result.replayed ? 'REPLAYED' : 'PLACED' });
      if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
      res
        .status(result.replayed ? 200 : 201)
        .location(orderLocation(result.orderId))
        .json(orderBody(result));
    } catch (error) {
      outcomes.inc({ code: toApiError(error)?.code ?? 'INTERNAL_ERROR' });
      throw error;
    }
  });

  return router;
};
