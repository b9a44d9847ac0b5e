import { Counter, type Registry } from 'prom-client';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { SeckillRateLimits } from '../infra/config/config';
import {
  inProcessLimiter,
  overloaded,
  rateLimitHeaders,
  rateLimited,
  type QuotaPolicy,
} from '../infra/http/rate-limit';

/** Why a seckill was shed before the stock gate: the `reason` label of `couponkill_seckill_shed_total`. */
export type SeckillShedReason = 'buyer_rate_limit' | 'coupon_admission';

/**
 * Lets a seckill through to the stock gate, or refuses it at once. Resolves to the buyer's RateLimit fields (to send
 * with whatever the seckill answers).
 *
 * @throws ApiError 429 RATE_LIMITED (Retry-After, RateLimit-Policy, RateLimit) when the buyer clicked more than
 *   `buyerClicksPerSecond` times this second on this replica; ApiError 503 OVERLOADED (Retry-After) when this
 *   replica let `couponAdmissionsPerSecond` seckills of the coupon through this second already.
 */
export type SeckillAdmission = (
  couponId: string,
  userId: string,
) => Promise<Readonly<Record<string, string>>>;

/** The buyer's policy as the RateLimit fields name it. */
export const buyerClickPolicy = (limits: SeckillRateLimits): QuotaPolicy => ({
  name: 'seckill-per-buyer',
  quota: limits.buyerClicksPerSecond,
  windowSeconds: 1,
});

/** Seckills refused before the stock gate, by `reason` (counter). */
export const SECKILL_SHED_TOTAL = 'couponkill_seckill_shed_total';

/** One counter per registry, whichever process part asks first. */
const shedCounter = (registry: Registry): Counter<'reason'> =>
  (registry.getSingleMetric(SECKILL_SHED_TOTAL) as Counter<'reason'> | undefined) ??
  new Counter({
    name: SECKILL_SHED_TOTAL,
    help: 'Seckills refused before the stock gate: buyer_rate_limit (429 RATE_LIMITED), coupon_admission (503 OVERLOADED)',
    labelNames: ['reason'],
    registers: [registry],
  });

/**
 * The seckill route's admission control, in process (rate-limiter-flexible's RateLimiterMemory, a fixed one-second
 * window per key), so the hot path keeps its single Redis round trip: first the buyer's click rate (the buyer's
 * doing: 429), then the coupon's admission rate (a stampede past what the write path absorbs, nobody's fault: 503).
 * A buyer refused for clicking takes nothing of the coupon's rate, so one buyer's burst never sheds another buyer.
 * Counts are per replica: with R replicas the effective rates are up to R times the settings.
 */
export const seckillAdmission = (limits: SeckillRateLimits, registry: Registry): SeckillAdmission => {
  const buyerPolicy = buyerClickPolicy(limits);
  const buyers = inProcessLimiter(buyerPolicy);
  const coupons =
    limits.couponAdmissionsPerSecond === null
      ? null
      : inProcessLimiter({
          name: 'coupon-admission',
          quota: limits.couponAdmissionsPerSecond,
          windowSeconds: 1,
        });
  const shed = shedCounter(registry);
  const buyerShed = shed.labels({ reason: 'buyer_rate_limit' satisfies SeckillShedReason });
  const couponShed = shed.labels({ reason: 'coupon_admission' satisfies SeckillShedReason });

  return async (couponId, userId) => {
    let taken: RateLimiterRes;
    try {
      taken = await buyers.consume(userId);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      buyerShed.inc();
      throw rateLimited(
        buyerPolicy,
        refusal.msBeforeNext,
        `at most ${buyerPolicy.quota} seckill requests a second per buyer; retry after Retry-After seconds`,
      );
    }
    if (coupons !== null) {
      try {
        await coupons.consume(couponId);
      } catch (refusal) {
        if (!(refusal instanceof RateLimiterRes)) throw refusal;
        couponShed.inc();
        throw overloaded(
          refusal.msBeforeNext,
          'more buyers than the sale admits right now: nothing was done (no stock taken); retry after Retry-After seconds',
        );
      }
    }
    return rateLimitHeaders(buyerPolicy, taken.remainingPoints, taken.msBeforeNext);
  };
};
