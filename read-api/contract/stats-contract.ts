import { z } from 'zod';
import { SUBJECT_PATTERN } from '../../infra/auth/jwt-tokens';
import {
  uuidString,
  RATE_LIMIT_ANSWER_HEADERS,
  type ApiOperation,
  type Same,
} from '../../infra/http/openapi';
import type { CouponStatsView } from '../../projections/stats/stats-queries';
import { minPositionHeader, READ_MODEL, readQuery, userParam } from './request-parts';

const count = z.number().int().min(0);

const couponStatsView = z
  .strictObject({ couponId: uuidString, placed: count, cancelled: count, used: count })
  .meta({ id: 'CouponStats', description: "a buyer's orders of one coupon, by status" });

const _couponStats: Same<z.output<typeof couponStatsView>, CouponStatsView> = true;

export const userCouponStats = z
  .strictObject({ userId: z.string().regex(SUBJECT_PATTERN), coupons: z.array(couponStatsView) })
  .meta({ id: 'UserCouponStats' });

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
