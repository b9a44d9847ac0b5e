import type { Router } from 'express';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { authenticate } from '../../infra/http/auth';
import { principalOf, requestIdOf } from '../../infra/http/request-context';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import type { SeckillAnswer } from '../seckill-answer';

/**
 * `POST /api/v1/coupons/:couponId/claim`: a buyer claims a unit of a `REGULAR` coupon. It is the seckill's answer with
 * the other coupon type: the same admission control, idempotency keys, per-user limit, one gate round trip and one
 * append; the gate refuses a `SECKILL` coupon here (409 NOT_A_REGULAR_COUPON), as the seckill route refuses a
 * `REGULAR` one.
 */
export const claimRoutes = (answer: SeckillAnswer, tokens: JwtTokens): Router => {
  const router = exactRouter();

  router.post('/:couponId/claim', recordRoute, authenticate(tokens), async (req, res) => {
    const { status, headers, body } = await answer({
      params: req.params,
      principal: principalOf(res),
      idempotencyKey: req.get('idempotency-key'),
      requestId: requestIdOf(res),
      path: `${req.baseUrl}${req.path}`,
      couponType: 'REGULAR',
    });
    res.status(status).set(headers).json(body);
  });

  return router;
};
