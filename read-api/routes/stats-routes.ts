import { Router } from 'express';
import { parseWith } from '../../infra/http/validation';
import type { StatsQueries } from '../../projections/stats/stats-queries';
import { minPositionOf, readQuery } from '../read-queries';
import { requireSelfOrAdmin, userParam } from './user-access';

/** The per-user coupon statistics read model. */
export const statsRoutes = (stats: StatsQueries): Router => {
  const router = Router();

  router.get('/users/:userId/coupon-stats', async (req, res) => {
    const { userId } = parseWith(userParam, req.params, 'path');
    requireSelfOrAdmin(userId, res);
    const q = parseWith(readQuery, req.query, 'query');
    res.json({ userId, coupons: await stats.userCouponStats(userId, minPositionOf(q.minPosition, req)) });
  });

  return router;
};
