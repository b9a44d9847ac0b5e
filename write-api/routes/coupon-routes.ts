import type { Router } from 'express';
import type { CouponHandlers } from '../../commands/coupon-handlers';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { authenticate } from '../../infra/http/auth';
import { couponIdParam } from '../../infra/http/id-params';
import { commandContext } from '../../infra/http/request-context';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';
import { closing, newCoupon, saleWindow, stock } from '../contract/coupon-contract';

/** The administrators' coupon commands: create, add stock, close, move the sale window, deactivate, reactivate. */
export const couponRoutes = (coupons: CouponHandlers, tokens: JwtTokens): Router => {
  const router = exactRouter();
  const admin = authenticate(tokens, 'admin');

  router.post('/', recordRoute, admin, async (req, res) => {
    const coupon = await coupons.create(parseWith(newCoupon, req.body, 'body'), commandContext(res));
    res.status(201).location(`/api/v1/coupons/${coupon.couponId}`).json(coupon);
  });

  router.post('/:couponId/stock', recordRoute, admin, async (req, res) => {
    const { couponId } = parseWith(couponIdParam, req.params, 'path');
    const { quantity } = parseWith(stock, req.body, 'body');
    res.status(200).json(await coupons.addStock(couponId, quantity, commandContext(res)));
  });

  router.post('/:couponId/sale-window', recordRoute, admin, async (req, res) => {
    const { couponId } = parseWith(couponIdParam, req.params, 'path');
    const window = parseWith(saleWindow, req.body, 'body');
    res.status(200).json(await coupons.changeSaleWindow(couponId, window, commandContext(res)));
  });

  // Close, deactivate and reactivate name the coupon only (an empty object at most as body) and answer it.
  for (const action of ['close', 'deactivate', 'reactivate'] as const)
    router.post(`/:couponId/${action}`, recordRoute, admin, async (req, res) => {
      const { couponId } = parseWith(couponIdParam, req.params, 'path');
      parseWith(closing, req.body, 'body');
      res.status(200).json(await coupons[action](couponId, commandContext(res)));
    });

  return router;
};
