import { z } from 'zod';
import { couponIdParam } from '../../infra/http/id-params';
import {
  uuidString,
  RATE_LIMIT_ANSWER_HEADERS,
  type ApiOperation,
  type Same,
} from '../../infra/http/openapi';
import type { CouponView } from '../../projections/coupons/coupons-queries';
import { listQuery, minPositionHeader, READ_MODEL, readQuery } from './request-parts';

export const pageQuery = z.strictObject(listQuery);

const count = z.number().int().min(0);

export const couponView = z
  .strictObject({
    couponId: uuidString,
    name: z.string(),
    description: z.string(),
    faceValueCents: count,
    perUserLimit: z.number().int().min(1),
    minAccountAgeSeconds: z.number().int().min(0).meta({
      description: "how old a buyer's account must be to buy, in seconds (0: any account)",
    }),
    saleStartsAt: z.iso.datetime(),
    saleEndsAt: z.iso.datetime(),
    couponType: z.enum(['SECKILL', 'REGULAR']).meta({
      description:
        'SECKILL: sold in its sale window; REGULAR: claimed at any time (its window is 2000-01-01 to 9999-12-31)',
    }),
    minSpendCents: count.meta({
      description: 'the least purchase, in cents, an order may be used on (0: any)',
    }),
    validDays: z.number().int().min(1).nullable().meta({
      description: 'orders are usable this many days after they are placed (null: see validUntil)',
    }),
    validUntil: z.iso.datetime().nullable().meta({
      description: 'orders are usable until then (null: see validDays; both null: for ever)',
    }),
    status: z.enum(['ACTIVE', 'INACTIVE', 'CLOSED']).meta({
      description:
        'INACTIVE: deactivated by an administrator (sells nothing until reactivated); CLOSED wins over it',
    }),
    totalStock: count,
    sold: count.meta({ description: 'live orders: placed or used' }),
    remaining: count,
    cancelled: count,
    used: count,
  })
  .meta({ id: 'CouponView', description: 'a coupon as the coupons read model shows it' });

const _couponView: Same<z.output<typeof couponView>, CouponView> = true;

export const couponPage = z
  .strictObject({
    items: z.array(couponView),
    nextCursor: uuidString
      .nullable()
      .meta({ description: 'pass it as `cursor` for the next page; null on the last' }),
  })
  .meta({ id: 'CouponPage', description: 'coupons, newest first' });

export const listCouponsOperation: ApiOperation = {
  method: 'get',
  route: '/api/v1/coupons',
  operationId: 'listCoupons',
  summary: 'List coupons',
  description: 'Any user. Newest first, a page at a time.',
  tag: 'coupons',
  access: 'user',
  query: pageQuery,
  headers: minPositionHeader,
  answers: {
    200: { description: 'a page of coupons', schema: couponPage, headers: RATE_LIMIT_ANSWER_HEADERS },
  },
  errors: READ_MODEL,
};

export const getCouponOperation: ApiOperation = {
  method: 'get',
  route: '/api/v1/coupons/:couponId',
  operationId: 'getCoupon',
  summary: 'Read a coupon',
  description: 'Any user.',
  tag: 'coupons',
  access: 'user',
  params: couponIdParam,
  query: readQuery,
  headers: minPositionHeader,
  answers: { 200: { description: 'the coupon', schema: couponView, headers: RATE_LIMIT_ANSWER_HEADERS } },
  errors: ['COUPON_NOT_FOUND', ...READ_MODEL],
};
