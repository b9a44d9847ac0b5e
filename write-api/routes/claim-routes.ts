import type { Router } from 'express';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { authenticate } from '../../infra/http/auth';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import type { SeckillAnswer } from '../seckill-answer';
import { buying } from './seckill-routes';

/**
 * `POST /api/v1/coupons/:couponId/claim`: a buyer claims a unit of a `REGULAR` coupon. It is the seckill's answer with
 * the other coupon type: the same admission control, idempotency keys, per-user limit, one gate round trip and one
 * append; the gate refuses a `SECKILL` coupon here (409 NOT_A_REGULAR_COUPON), as the seckill route refuses a
 * `REGULAR` one.
 */
export const claimRoutes = (answer: SeckillAnswer, tokens: JwtTokens): Router => {
  const router = exactRouter();

  router.post('/:couponId/claim', recordRoute, authenticate(tokens), buying(answer, 'REGULAR'));

  return router;
};
