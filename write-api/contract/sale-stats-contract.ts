import { z } from 'zod';
import { couponIdParam } from '../../infra/http/id-params';
import { uuidString, type ApiOperation } from '../../infra/http/openapi';

/** The answer of `GET /api/v1/admin/coupons/:couponId/sale-stats` (SaleStatsReading, with its time in ISO-8601). */
export const saleStatsAnswer = z
  .strictObject({
    couponId: uuidString,
    outcomes: z.record(z.string(), z.number().int().min(0)).meta({
      description:
        'seckill and claim attempts by outcome code: `PLACED`, `REPLAYED` (an `Idempotency-Key` retry), or the error code they were answered with (`SOLD_OUT`, `LIMIT_REACHED`, `SALE_NOT_STARTED`, `SALE_ENDED`, `RATE_LIMITED`, `OVERLOADED`, …); codes never answered are absent',
    }),
    asOf: z.iso.datetime().meta({ description: 'when the counts were read' }),
  })
  .meta({ id: 'SaleStats', description: "a coupon's seckill and claim outcomes, summed over every replica" });

export const saleStatsOperation: ApiOperation = {
  method: 'get',
  route: '/api/v1/admin/coupons/:couponId/sale-stats',
  operationId: 'getSaleStats',
  summary: "A coupon's seckill and claim outcomes",
  description:
    "Administrators only. Every seckill and claim attempt of the coupon with a well-formed coupon id, by the code it was answered with, summed over every write-api replica: what Redis holds plus this replica's counts not yet added. Each replica adds its counts every `COUPONKILL_SALE_STATS_FLUSH_MS` (1 s), so the other replicas' counts may be that much behind; none is ever counted twice. Counts live 30 days after the coupon's last attempt. A coupon nobody tried answers empty `outcomes` (whether it exists is not checked). Redis down: `503 DEPENDENCY_UNAVAILABLE`.",
  tag: 'coupons',
  access: 'admin',
  params: couponIdParam,
  answers: { 200: { description: "the coupon's outcomes", schema: saleStatsAnswer } },
  errors: ['DEPENDENCY_UNAVAILABLE'],
};
