import type { RequestHandler, Router } from 'express';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';
import type { StatsQueries } from '../../projections/stats/stats-queries';
import { minPositionOf, readQuery } from '../read-queries';
import { requireSelfOrAdmin, userParam } from './user-access';

/** The per-user coupon statistics read model. */
export const statsRoutes = (stats: StatsQueries, user: RequestHandler): Router => {
  const router = exactRouter();

  router.get('/users/:userId/coupon-stats', recordRoute, user, async (req, res) => {
    const { userId } = parseWith(userParam, req.params, 'path');
    requireSelfOrAdmin(userId, res);
    const q = parseWith(readQuery, req.query, 'query');
    res.json({ userId, coupons: await stats.userCouponStats(userId, minPositionOf(q.minPosition, req)) });
  });

  return router;
};
