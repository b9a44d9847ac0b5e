import type { RequestHandler } from 'express';
import { Counter, type Registry } from 'prom-client';
import type { ReadRateLimits } from '../infra/config/config';
import { ApiError } from '../infra/http/api-error';
import { inProcessLimiter, takeQuota, type QuotaPolicy } from '../infra/http/rate-limit';
import { principalOf } from '../infra/http/request-context';

/** Read-api requests refused before any query, by `reason` (counter). */
export const READ_SHED_TOTAL = 'couponkill_read_shed_total';

/**
 * The read API's per-buyer quota, as express middleware after authentication: `buyerRequestsPerSecond` requests per
 * buyer (the token's subject) per second on this replica (rate-limiter-flexible's RateLimiterMemory, in process: with
 * R replicas a buyer gets up to R times it). An admitted request's answer carries the RateLimit fields; one past the
 * quota is answered 429 RATE_LIMITED with Retry-After and the fields, counted in `couponkill_read_shed_total{reason}`. One
 * buyer's quota never touches another's.
 */
export const buyerReadLimit = (limits: ReadRateLimits, registry: Registry): RequestHandler => {
  const policy: QuotaPolicy = {
    name: 'read-per-buyer',
    quota: limits.buyerRequestsPerSecond,
    windowSeconds: 1,
  };
  const limiter = inProcessLimiter(policy);
  // One counter per registry: a live change of the limit builds this middleware again.
  const shed = (
    (registry.getSingleMetric(READ_SHED_TOTAL) as Counter<'reason'> | undefined) ??
    new Counter({
      name: READ_SHED_TOTAL,
      help: 'Read-api requests refused before any query: buyer_rate_limit (429 RATE_LIMITED)',
      labelNames: ['reason'],
      registers: [registry],
    })
  ).labels({ reason: 'buyer_rate_limit' });
  const message = `at most ${policy.quota} read requests a second per buyer; retry after Retry-After seconds`;
  return (_req, res, next) => {
    takeQuota(limiter, principalOf(res).userId, policy, message).then(
      (headers) => {
        res.set(headers);
        next();
      },
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 429) shed.inc();
        next(error);
      },
    );
  };
};
