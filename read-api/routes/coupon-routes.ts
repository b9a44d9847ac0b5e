import type { RequestHandler, Router } from 'express';
import { ApiError } from '../../infra/http/api-error';
import { couponIdParam } from '../../infra/http/id-params';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';
import type { CouponsQueries } from '../../projections/coupons/coupons-queries';
import { pageQuery } from '../contract/coupon-contract';
import { readQuery } from '../contract/request-parts';
import { minPositionOf } from '../read-queries';

/** The coupons read model: a page of coupons, and one coupon. */
export const couponRoutes = (coupons: CouponsQueries, user: RequestHandler): Router => {
  const router = exactRouter();

  router.get('/coupons', recordRoute, user, async (req, res) => {
    const q = parseWith(pageQuery, req.query, 'query');
    res.json(await coupons.coupons(q.cursor ?? null, q.limit, minPositionOf(q.minPosition, req)));
  });

  router.get('/coupons/:couponId', recordRoute, user, async (req, res) => {
    const { couponId } = parseWith(couponIdParam, req.params, 'path');
    const q = parseWith(readQuery, req.query, 'query');
    const coupon = await coupons.coupon(couponId, minPositionOf(q.minPosition, req));
    if (!coupon) throw new ApiError(404, 'COUPON_NOT_FOUND', `coupon ${couponId} does not exist`);
    res.json(coupon);
  });

  return router;
};
