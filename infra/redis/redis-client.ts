import { Redis, type RedisOptions } from 'ioredis';

export interface RedisClientOptions {
  readonly url: string;
  readonly commandTimeoutMs: number;
}

/**
 * Fails fast instead of queueing while Redis is away (a seckill must answer 503 now, not succeed minutes later), and
 * auto-pipelines so that concurrent requests share round trips. Every gate connection uses these, whatever its
 * topology (redis-topology.ts).
 */
export const failFastOptions = (commandTimeoutMs: number): RedisOptions => ({
  lazyConnect: true,
  enableOfflineQueue: false,
  enableAutoPipelining: true,
  maxRetriesPerRequest: 1,
  commandTimeout: commandTimeoutMs,
  connectTimeout: 3000,
  retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
});

/** A client of one Redis server with the fail-fast options. */
export const createRedisClient = ({ url, commandTimeoutMs }: RedisClientOptions): Redis =>
  new Redis(url, failFastOptions(commandTimeoutMs));
