import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ApiError } from './api-error';

/**
 * A named quota as a client sees it: `quota` requests per `windowSeconds`. `name` is the policy's identifier in the
 * RateLimit-Policy and RateLimit fields (an sf-string: letters, digits, `-` and `_` keep it readable in logs).
 */
export interface QuotaPolicy {
  readonly name: string;
  readonly quota: number;
  readonly windowSeconds: number;
}

/** A limiter and the policy it enforces, as a route holds them: `takeQuota(q.limiter, key, q.policy, message)`. */
export interface Quota {
  readonly limiter: RateLimiterAbstract;
  readonly policy: QuotaPolicy;
}

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

/**
 * The RateLimit-Policy and RateLimit fields of draft-ietf-httpapi-ratelimit-headers-10 (§4 and §5): the policy
 * (`q` quota units per `w` seconds) and its current state (`r` units remaining, `t` seconds until it resets).
 */
export const rateLimitHeaders = (
  policy: QuotaPolicy,
  remaining: number,
  resetMs: number,
): Record<string, string> => ({
  'RateLimit-Policy': `"${policy.name}";q=${policy.quota};w=${policy.windowSeconds}`,
  RateLimit: `"${policy.name}";r=${Math.max(0, remaining)};t=${seconds(resetMs)}`,
});

/**
 * The refusal of a request past its quota: 429 RATE_LIMITED (RFC 6585 §4) with Retry-After in whole seconds, at
 * least 1 (RFC 9110 §10.2.3), and the RateLimit fields showing nothing left.
 */
export const rateLimited = (policy: QuotaPolicy, retryAfterMs: number, message: string): ApiError =>
  new ApiError(429, 'RATE_LIMITED', message, undefined, {
    'Retry-After': String(Math.max(1, seconds(retryAfterMs))),
    ...rateLimitHeaders(policy, 0, retryAfterMs),
  });

/**
 * An in-process limiter of `policy`: rate-limiter-flexible's RateLimiterMemory, a fixed window of
 * `policy.windowSeconds` per key, counted in this process only (no round trip; with R replicas a key gets up to R
 * times the quota). Each key holds a counter and a timer until its window ends.
 */
export const inProcessLimiter = (policy: QuotaPolicy): RateLimiterMemory =>
  new RateLimiterMemory({ points: policy.quota, duration: policy.windowSeconds });

/**
 * The refusal of a request that came in past what the server admits right now, through no fault of its sender:
 * 503 OVERLOADED (RFC 9110 §15.6.4) with Retry-After in whole seconds, at least 1.
 */
export const overloaded = (retryAfterMs: number, message: string): ApiError =>
  new ApiError(503, 'OVERLOADED', message, undefined, {
    'Retry-After': String(Math.max(1, seconds(retryAfterMs))),
  });

/**
 * Takes one unit of `key`'s quota from `limiter` and returns the RateLimit fields to send with the answer.
 *
 * @throws ApiError 429 RATE_LIMITED when the quota is spent (rate-limiter-flexible rejects with a RateLimiterRes);
 *   any other rejection (its store failing, for instance) is rethrown as it came, for the caller's own policy.
 */
export const takeQuota = async (
  limiter: RateLimiterAbstract,
  key: string,
  policy: QuotaPolicy,
  message: string,
): Promise<Record<string, string>> => {
  try {
    const taken = await limiter.consume(key);
    return rateLimitHeaders(policy, taken.remainingPoints, taken.msBeforeNext);
  } catch (refusal) {
    if (refusal instanceof RateLimiterRes) throw rateLimited(policy, refusal.msBeforeNext, message);
    throw refusal;
  }
};
