import type { Router } from 'express';
import { z } from 'zod';
import type { CouponHandlers } from '../../commands/coupon-handlers';
import { MAX_DESCRIPTION_LENGTH, SALE_WINDOW_BOUNDS } from '../../domain/coupon/coupon-decider';
import { isWellFormedText } from '../../domain/shared/text';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { authenticate } from '../../infra/http/auth';
import { couponIdParam } from '../../infra/http/id-params';
import { commandContext } from '../../infra/http/request-context';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';

/** An ISO-8601 time with an offset, within what every read model can store and show unchanged. */
const saleTime = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value))
  .refine(
    (date) => date >= SALE_WINDOW_BOUNDS.earliest && date <= SALE_WINDOW_BOUNDS.latest,
    `must be between ${SALE_WINDOW_BOUNDS.earliest.toISOString()} and ${SALE_WINDOW_BOUNDS.latest.toISOString()}`,
  );

const text = (max: number) => z.string().max(max).refine(isWellFormedText, 'must be well-formed text');

const newCoupon = z.strictObject({
  name: text(200).pipe(z.string().min(1)),
  description: text(MAX_DESCRIPTION_LENGTH).optional(),
  faceValueCents: z.number().int().min(0),
  totalStock: z.number().int().min(1),
  perUserLimit: z.number().int().min(1).default(1),
  saleStartsAt: saleTime,
  saleEndsAt: saleTime,
});

const stock = z.strictObject({ quantity: z.number().int().min(1) });

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

  router.post('/:couponId/close', recordRoute, admin, async (req, res) => {
    const { couponId } = parseWith(couponIdParam, req.params, 'path');
    parseWith(z.strictObject({}), req.body, 'body');
    res.status(200).json(await coupons.close(couponId, commandContext(res)));
  });

  return router;
};
