import type { Router } from 'express';
import type { SaleStats } from '../../commands/sale-stats-port';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { authenticate } from '../../infra/http/auth';
import { couponIdParam } from '../../infra/http/id-params';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';
import type { saleStatsAnswer } from '../contract/sale-stats-contract';
import type { z } from 'zod';

/** The administrators' live view of a sale: a coupon's seckill and claim outcomes over every replica. */
export const saleStatsRoutes = (saleStats: SaleStats, tokens: JwtTokens): Router => {
  const router = exactRouter();

  router.get('/:couponId/sale-stats', recordRoute, authenticate(tokens, 'admin'), async (req, res) => {
    const { couponId } = parseWith(couponIdParam, req.params, 'path');
    const { outcomes, asOf } = await saleStats.read(couponId);
    const body: z.input<typeof saleStatsAnswer> = { couponId, outcomes, asOf: asOf.toISOString() };
    res.status(200).json(body);
  });

  return router;
};
