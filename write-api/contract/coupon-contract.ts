import { z } from 'zod';
import type { CouponCommandResult } from '../../commands/coupon-handlers';
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_MIN_ACCOUNT_AGE_SECONDS,
  MAX_PER_USER_LIMIT,
  MAX_STOCK,
  MAX_VALID_DAYS,
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

const couponType = z.enum(['SECKILL', 'REGULAR']);

export const newCoupon = z
  .strictObject({
    couponType: couponType.default('SECKILL').meta({
      description:
        '`SECKILL` (the default): sold by `POST /api/v1/seckill/{couponId}` inside its sale window. `REGULAR`: claimed by `POST /api/v1/coupons/{couponId}/claim` at any time while stock lasts; it takes no sale window (stored as the always-open one, 2000-01-01 to 9999-12-31).',
    }),
    name: text(1, 200),
    description: text(0, MAX_DESCRIPTION_LENGTH).optional(),
    faceValueCents: wholeNumber(0, Number.MAX_SAFE_INTEGER),
    totalStock: wholeNumber(1, MAX_STOCK),
    perUserLimit: wholeNumber(1, MAX_PER_USER_LIMIT).default(1),
    minAccountAgeSeconds: wholeNumber(0, MAX_MIN_ACCOUNT_AGE_SECONDS).default(0).meta({
      description:
        "How old a buyer's account must be to buy, in seconds (0: any account). Checked in the stock gate against the registration time in the buyer's token: younger accounts, and tokens issued before tokens carried it, get `403 ACCOUNT_TOO_NEW`. Stops accounts made at sale time; not accounts farmed in advance.",
    }),
    minSpendCents: wholeNumber(0, Number.MAX_SAFE_INTEGER).default(0).meta({
      description: 'the least purchase, in cents, an order of this coupon may be used on (0: any)',
    }),
    saleStartsAt: saleTime.optional().meta({
      description: `${saleTimeRule}; before saleEndsAt. Required of a SECKILL coupon, refused on a REGULAR one`,
    }),
    saleEndsAt: saleTime
      .optional()
      .meta({ description: `${saleTimeRule}. Required of a SECKILL coupon, refused on a REGULAR one` }),
    validDays: wholeNumber(1, MAX_VALID_DAYS)
      .optional()
      .meta({
        description: `orders are usable this many whole days (24 h each) after they are placed, 1 to ${MAX_VALID_DAYS}; at most one of validDays and validUntil (neither: valid for ever)`,
      }),
    validUntil: saleTime.optional().meta({
      description: `${saleTimeRule}: orders are usable until then. After saleEndsAt (SECKILL) or in the future (REGULAR)`,
    }),
  })
  .meta({ id: 'NewCoupon' });

/** A new sale window: both ends, validated as at creation. */
export const saleWindow = z
  .strictObject({
    saleStartsAt: saleTime.meta({ description: `${saleTimeRule}; before saleEndsAt` }),
    saleEndsAt: saleTime.meta({
      description: `${saleTimeRule}; before the coupon's validUntil, if it has one`,
    }),
  })
  .meta({ id: 'SaleWindow' });

export const stock = z.strictObject({ quantity: wholeNumber(1, MAX_STOCK) }).meta({ id: 'StockToAdd' });

/** Closing, deactivating and reactivating take no fields: no body, or `{}`. */
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
    couponType,
    minSpendCents: z.number().int().min(0),
    validDays: z.number().int().min(1).nullable(),
    validUntil: z.iso.datetime().nullable(),
    status: z.enum(['ACTIVE', 'INACTIVE', 'CLOSED']).meta({
      description: 'INACTIVE: deactivated (sells nothing until reactivated); CLOSED wins over it',
    }),
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

const adminChange = (
  operationId: string,
  suffix: string,
  summary: string,
  description: string,
  errors: ApiOperation['errors'],
): ApiOperation => ({
  method: 'post',
  route: `/api/v1/coupons/:couponId/${suffix}`,
  operationId,
  summary,
  description: `Needs an administrator's token. ${description}`,
  tag: 'coupons',
  access: 'admin',
  params: couponIdParam,
  body: { schema: closing, required: false, description: 'nothing, or `{}`' },
  answers: { 200: { ...coupon, description: 'done' } },
  errors: [
    'COUPON_NOT_FOUND',
    'COUPON_CLOSED',
    ...errors,
    'CONCURRENCY_CONFLICT',
    'DEPENDENCY_UNAVAILABLE',
    'OVERLOADED',
  ],
});

export const changeSaleWindowOperation: ApiOperation = {
  ...adminChange(
    'changeSaleWindow',
    'sale-window',
    "Move a seckill coupon's sale window",
    'Only a SECKILL coupon whose window has not opened yet; the new window is validated as at creation. The stock gate obeys it from the answer on.',
    ['NOT_A_SECKILL_COUPON', 'SALE_ALREADY_STARTED'],
  ),
  body: { schema: saleWindow, required: true, description: 'the new window' },
};

export const deactivateCouponOperation = adminChange(
  'deactivateCoupon',
  'deactivate',
  'Deactivate a coupon',
  'Until it is reactivated, every seckill and claim of it is refused with `409 COUPON_INACTIVE`; orders already placed are untouched.',
  ['COUPON_ALREADY_INACTIVE'],
);

export const reactivateCouponOperation = adminChange(
  'reactivateCoupon',
  'reactivate',
  'Reactivate a coupon',
  'It sells (or may be claimed) again, as before it was deactivated.',
  ['COUPON_ALREADY_ACTIVE'],
);
