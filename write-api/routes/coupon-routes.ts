import type { Router } from 'express';
import { z } from 'zod';
import type { CouponHandlers } from '../../commands/coupon-handlers';
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_PER_USER_LIMIT,
  MAX_STOCK,
  SALE_WINDOW_BOUNDS,
} from '../../domain/coupon/coupon-decider';
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

/**
 * Text as the domain measures it: trimmed, in UTF-16 code units (JavaScript's length, what the decider checks), and
 * well-formed. zod's own max() counts code points, which would let an emoji-heavy value pass here and fail there.
 */
const text = (min: number, max: number) =>
  z
    .string()
    .refine(isWellFormedText, 'must be well-formed text')
    .refine(
      (value) => {
        const length = value.trim().length;
        return length >= min && length <= max;
      },
      `must be ${min === 0 ? `at most ${max}` : `${min} to ${max}`} characters once trimmed`,
    );

const wholeNumber = (min: number, max: number) => z.number().int().min(min).max(max);

const newCoupon = z.strictObject({
  name: text(1, 200),
  description: text(0, MAX_DESCRIPTION_LENGTH).optional(),
  faceValueCents: wholeNumber(0, Number.MAX_SAFE_INTEGER),
  totalStock: wholeNumber(1, MAX_STOCK),
  perUserLimit: wholeNumber(1, MAX_PER_USER_LIMIT).default(1),
  saleStartsAt: saleTime,
  saleEndsAt: saleTime,
});

const stock = z.strictObject({ quantity: wholeNumber(1, MAX_STOCK) });

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
