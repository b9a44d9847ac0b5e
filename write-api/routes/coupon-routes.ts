import { Router } from 'express';
import { z } from 'zod';
import type { CouponHandlers } from '../../commands/coupon-handlers';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { authenticate } from '../../infra/http/auth';
import { commandContext } from '../../infra/http/request-context';
import { parseWith } from '../../infra/http/validation';
import { couponIdParam } from '../../infra/http/id-params';

const isoDate = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

const newCoupon = z.strictObject({
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  faceValueCents: z.number().int().min(0),
  totalStock: z.number().int().min(1),
  perUserLimit: z.number().int().min(1).default(1),
  saleStartsAt: isoDate,
  saleEndsAt: isoDate,
});

const stock = z.strictObject({ quantity: z.number().int().min(1) });

export const couponRoutes = (coupons: CouponHandlers, tokens: JwtTokens): Router => {
  const router = Router();
  router.use(authenticate(tokens, 'admin'));

  router.post('/', async (req, res) => {
    const coupon = await coupons.create(parseWith(newCoupon, req.body, 'body'), commandContext(res));
    res.status(201).location(`/api/v1/coupons/${coupon.couponId}`).json(coupon);
  });

  router.post('/:couponId/stock', async (req, res) => {
    const { couponId } = parseWith(couponIdParam, req.params, 'path');
    const { quantity } = parseWith(stock, req.body, 'body');
    res.status(200).json(await coupons.addStock(couponId, quantity, commandContext(res)));
  });

  router.post('/:couponId/close', async (req, res) => {
    const { couponId } = parseWith(couponIdParam, req.params, 'path');
    parseWith(z.strictObject({}), req.body, 'body');
    res.status(200).json(await coupons.close(couponId, commandContext(res)));
  });

  return router;
};
