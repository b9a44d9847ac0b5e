import type { RequestHandler, Router } from 'express';
import type { CouponType } from '../../domain/coupon/coupon-events';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { authenticate } from '../../infra/http/auth';
import { principalOf, requestIdOf } from '../../infra/http/request-context';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import type { SeckillAnswer } from '../seckill-answer';

/**
 * The seckill route as express serves it. Requests without a body on the canonical path never get here: the lean
 * hot path (write-api/seckill-fast-path.ts) answers them with the same seckillAnswer, and this route keeps every other
 * case.
 */
export const seckillRoutes = (answer: SeckillAnswer, tokens: JwtTokens): Router => {
  const router = exactRouter();

  router.post('/:couponId', recordRoute, authenticate(tokens), buying(answer, 'SECKILL'));

  return router;
};

/** An authenticated buyer's request answered by the seckill's answer, for the coupon type the route sells. */
export const buying =
  (answer: SeckillAnswer, couponType: CouponType): RequestHandler =>
  async (req, res) => {
    const { status, headers, body } = await answer({
      params: req.params,
      principal: principalOf(res),
      idempotencyKey: req.get('idempotency-key'),
      requestId: requestIdOf(res),
      path: `${req.baseUrl}${req.path}`,
      couponType,
    });
    res.status(status).set(headers).json(body);
  };
