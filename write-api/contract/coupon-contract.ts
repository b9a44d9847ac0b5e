import { z } from 'zod';
import type { CouponCommandResult } from '../../commands/coupon-handlers';
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_MIN_ACCOUNT_AGE_SECONDS,
  MAX_PER_USER_LIMIT,
  MAX_STOCK,
  SALE_WINDOW_BOUNDS,
} from '../../domain/coupon/coupon-decider';
import { isWellFormedText } from '../../domain/shared/text';
import { couponIdParam } from '../../infra/http/id-params';
import {
  answerHeader,
  positionString,
  uuidString,
  type ApiOperation,
  type Same,
} from '../../infra/http/openapi';

/** An ISO-8601 time with an offset, within what every read model can store and show unchanged. */
const saleTime = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value))
  .refine(
    (date) => date >= SALE_WINDOW_BOUNDS.earliest && date <= SALE_WINDOW_BOUNDS.latest,
    `must be between ${SALE_WINDOW_BOUNDS.earliest.toISOString()} and ${SALE_WINDOW_BOUNDS.latest.toISOString()}`,
  );

const saleTimeRule = `ISO-8601 with an offset, from ${SALE_WINDOW_BOUNDS.earliest.toISOString()} to ${SALE_WINDOW_BOUNDS.latest.toISOString()}; stored to the millisecond, shown in UTC`;

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
    )
    .meta({
      description: `${min === 0 ? `At most ${max}` : `${min} to ${max}`} UTF-16 code units once trimmed (stored trimmed); a lone surrogate is refused.`,
    });

const wholeNumber = (min: number, max: number) => z.number().int().min(min).max(max);

export const newCoupon = z
  .strictObject({
    name: text(1, 200),
    description: text(0, MAX_DESCRIPTION_LENGTH).optional(),
    faceValueCents: wholeNumber(0, Number.MAX_SAFE_INTEGER),
    totalStock: wholeNumber(1, MAX_STOCK),
    perUserLimit: wholeNumber(1, MAX_PER_USER_LIMIT).default(1),
    minAccountAgeSeconds: wholeNumber(0, MAX_MIN_ACCOUNT_AGE_SECONDS).default(0).meta({
      description:
        "How old a buyer's account must be to buy, in seconds (0: any account). Checked in the stock gate against the registration time in the buyer's token: younger accounts, and tokens issued before tokens carried it, get `403 ACCOUNT_TOO_NEW`. Stops accounts made at sale time; not accounts farmed in advance.",
    }),
    saleStartsAt: saleTime.meta({ description: `${saleTimeRule}; before saleEndsAt` }),
    saleEndsAt: saleTime.meta({ description: saleTimeRule }),
  })
  .meta({ id: 'NewCoupon' });

export const stock = z.strictObject({ quantity: wholeNumber(1, MAX_STOCK) }).meta({ id: 'StockToAdd' });

/** Closing takes no fields: no body, or `{}`. */
export const closing = z.strictObject({});

export const couponCommandResult = z
  .strictObject({
    couponId: uuidString,
    name: z.string(),
    description: z.string(),
    faceValueCents: z.number().int().min(0),
    totalStock: z.number().int().min(1),
    perUserLimit: z.number().int().min(1),
    minAccountAgeSeconds: z.number().int().min(0),
    saleStartsAt: z.iso.datetime(),
    saleEndsAt: z.iso.datetime(),
    couponType: z.enum(['SECKILL', 'REGULAR']),
    minSpendCents: z.number().int().min(0),
    validDays: z.number().int().min(1).nullable(),
    validUntil: z.iso.datetime().nullable(),
    status: z.enum(['ACTIVE', 'CLOSED']),
    revision: positionString.meta({ description: "the revision of the coupon's stream after this change" }),
    position: positionString.meta({
      description:
        'the global event-store position of the change: pass it as `minPosition` to read your write',
    }),
  })
  .meta({ id: 'CouponCommandResult', description: 'the coupon as the command left it' });

const _couponResult: Same<z.output<typeof couponCommandResult>, CouponCommandResult> = true;

const coupon = { schema: couponCommandResult, description: 'the coupon' };

export const createCouponOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/coupons',
  operationId: 'createCoupon',
  summary: 'Create a coupon',
  description: "Needs an administrator's token. The coupon's stock gate is loaded before the answer.",
  tag: 'coupons',
  access: 'admin',
  body: { schema: newCoupon, required: true, description: 'the coupon' },
  answers: {
    201: {
      ...coupon,
      description: 'created',
      headers: {
        Location: answerHeader("the coupon's path on the read API", {
          type: 'string',
          pattern: '^/api/v1/coupons/[0-9a-f-]{36}$',
        }),
      },
    },
  },
  errors: ['COUPON_ALREADY_EXISTS', 'DEPENDENCY_UNAVAILABLE', 'OVERLOADED'],
};

export const addStockOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/coupons/:couponId/stock',
  operationId: 'addStock',
  summary: "Add to a coupon's stock",
  description: `Needs an administrator's token. The total may not pass ${MAX_STOCK}.`,
  tag: 'coupons',
  access: 'admin',
  params: couponIdParam,
  body: { schema: stock, required: true, description: 'how many units to add' },
  answers: { 200: { ...coupon, description: 'stock added' } },
  errors: [
    'COUPON_NOT_FOUND',
    'COUPON_CLOSED',
    'CONCURRENCY_CONFLICT',
    'DEPENDENCY_UNAVAILABLE',
    'OVERLOADED',
  ],
};

export const closeCouponOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/coupons/:couponId/close',
  operationId: 'closeCoupon',
  summary: 'Close a coupon',
  description: "Needs an administrator's token. A closed coupon sells nothing more.",
  tag: 'coupons',
  access: 'admin',
  params: couponIdParam,
  body: { schema: closing, required: false, description: 'nothing, or `{}`' },
  answers: { 200: { ...coupon, description: 'closed' } },
  errors: [
    'COUPON_NOT_FOUND',
    'COUPON_CLOSED',
    'CONCURRENCY_CONFLICT',
    'DEPENDENCY_UNAVAILABLE',
    'OVERLOADED',
  ],
};
