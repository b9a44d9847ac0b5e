import { z } from 'zod';
import { SUBJECT_PATTERN } from '../../infra/auth/jwt-tokens';
import {
  uuidString,
  RATE_LIMIT_ANSWER_HEADERS,
  type ApiOperation,
  type Same,
} from '../../infra/http/openapi';
import type { CouponStatsView, UserStatsView } from '../../projections/stats/stats-queries';
import { minPositionHeader, READ_MODEL, readQuery, userParam } from './request-parts';

const count = z.number().int().min(0);

const orderCounts = {
  placed: count.meta({ description: 'orders placed and not (yet) used, cancelled or expired' }),
  cancelled: count,
  used: count,
  expired: count.meta({ description: 'orders whose validity ended unused (their units were not returned)' }),
  seckill: count.meta({ description: 'orders of flash-sale coupons, whatever their status' }),
  regular: count.meta({ description: 'orders of regular (claimed) coupons, whatever their status' }),
};

const couponStatsView = z
  .strictObject({ couponId: uuidString, ...orderCounts })
  .meta({ id: 'CouponStats', description: "a buyer's orders of one coupon, by status and coupon type" });

const _couponStats: Same<z.output<typeof couponStatsView>, CouponStatsView> = true;

const totals = z
  .strictObject(orderCounts)
  .meta({ id: 'OrderCounts', description: "a buyer's orders over every coupon, by status and coupon type" });

export const userCouponStats = z
  .strictObject({ userId: z.string().regex(SUBJECT_PATTERN), coupons: z.array(couponStatsView), totals })
  .meta({ id: 'UserCouponStats' });

const _userStats: Same<Omit<z.output<typeof userCouponStats>, 'userId'>, UserStatsView> = true;

export type UserCouponStats = z.output<typeof userCouponStats>;

export const userCouponStatsOperation: ApiOperation = {
  method: 'get',
  route: '/api/v1/users/:userId/coupon-stats',
  operationId: 'userCouponStats',
  summary: "A buyer's orders per coupon",
  description: 'That user or an administrator.',
  tag: 'stats',
  access: 'user',
  params: userParam,
  query: readQuery,
  headers: minPositionHeader,
  answers: {
    200: {
      description: "the buyer's counts per coupon",
      schema: userCouponStats,
      headers: RATE_LIMIT_ANSWER_HEADERS,
    },
  },
  errors: ['FORBIDDEN', ...READ_MODEL],
};
