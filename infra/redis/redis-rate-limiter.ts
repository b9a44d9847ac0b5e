import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';

export interface RedisRateLimiterOptions {
  /** The Redis key prefix of this limiter's counters, e.g. `ck:rl:login-address` (keys `<prefix>:<key>`). */
  readonly keyPrefix: string;
  /** Points per window (a request usually costs one). */
  readonly points: number;
  /** The fixed window, in seconds, from a key's first point. */
  readonly durationSeconds: number;
}

/**
 * A rate-limiter-flexible limiter whose counters live in Redis (one atomic Lua INCR-and-expire per call), so a limit
 * holds across every replica. While Redis is away it answers at once from an in-memory insurance limiter with the
 * same points and window: the limit then holds per replica (looser by the replica count, never open), and the
 * process does not wait on a Redis that is not there (`rejectIfRedisNotReady`; the client queues nothing offline).
 */
export const redisRateLimiter = (redis: Redis, options: RedisRateLimiterOptions): RateLimiterRedis =>
  new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: options.keyPrefix,
    points: options.points,
    duration: options.durationSeconds,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({
      keyPrefix: options.keyPrefix,
      points: options.points,
      duration: options.durationSeconds,
    }),
  });
