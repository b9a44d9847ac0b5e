import type { RequestHandler, Router } from 'express';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';
import type { StatsQueries } from '../../projections/stats/stats-queries';
import { readQuery, userParam } from '../contract/request-parts';
import type { UserCouponStats } from '../contract/stats-contract';
import { minPositionOf } from '../read-queries';
import { requireSelfOrAdmin } from './user-access';

/** The per-user coupon statistics read model. */
export const statsRoutes = (stats: StatsQueries, user: RequestHandler): Router => {
  const router = exactRouter();

  router.get('/users/:userId/coupon-stats', recordRoute, user, async (req, res) => {
    const { userId } = parseWith(userParam, req.params, 'path');
    requireSelfOrAdmin(userId, res);
    const q = parseWith(readQuery, req.query, 'query');
    const answer: UserCouponStats = {
      userId,
      ...(await stats.userCouponStats(userId, minPositionOf(q.minPosition, req))),
    };
    res.json(answer);
  });

  return router;
};
