import type { Container } from 'inversify';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { DependencyUnavailableError } from '../commands/dependency-error';
import type { Logger } from '../commands/logger-port';
import type { SettingName } from '../infra/config/config';
import { migrateEventStore } from '../infra/mysql/event-store-schema';
import { ensureDatabase } from '../infra/mysql/mysql-pool';
import { MySqlNotificationDeliveries } from '../infra/mysql/mysql-notification-deliveries';
import { MySqlReadCatalog } from '../infra/mysql/mysql-read-catalog';
import { MySqlReadShards } from '../infra/mysql/mysql-read-shards';
import { MySqlPartitionLeases } from '../infra/mysql/mysql-partition-leases';
import { MySqlRelayCheckpoint } from '../infra/mysql/mysql-relay-checkpoint';
import { describeTopology } from '../infra/redis/redis-topology';
import { CircuitBreakers } from '../infra/resilience/circuit-breakers';
import { UnreachableDependencyError } from './tasks/cli-errors';
import { GateTopologySwitch } from '../commands/gate-topology-switch';
import { TOKENS } from './tokens';

/** Servers wait this many seconds for their dependencies at start (a pod may start before them). */
export const SERVER_STARTUP_ATTEMPTS = 30;

export interface OpenOptions {
  /**
   * Tries, one a second, to reach the dependencies before giving up: servers wait for them (the default); one-shot CLI
   * tasks pass 1 and fail at once.
   */
  readonly attempts?: number;
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  'mysql:': '3306',
  'redis:': '6379',
  'rediss:': '6379',
  'esdb:': '2113',
  'esdb+discover:': '2113',
};

/** Host and port of a URL or connection string, without its user or password. */
const addressOf = (url: string): string => {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || (DEFAULT_PORTS[parsed.protocol] ?? '?')}`;
  } catch {
    // esdb+discover://host1:2113,host2:2113 is not a WHATWG URL.
    return /^[a-z+]+:\/\/(?:[^@/]*@)?([^/?]+)/i.exec(url)?.[1] ?? 'its configured address';
  }
};

const passwordOf = (url: string): string => {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return /^[a-z+]+:\/\/[^:@/]*:([^@/]*)@/i.exec(url)?.[1] ?? '';
  }
};

/** The driver's own words for why, in one line: `connect ECONNREFUSED 127.0.0.1:3306`. */
const reasonOf = (error: unknown): string => {
  if (error instanceof DependencyUnavailableError && error.cause !== undefined) return reasonOf(error.cause);
  if (error instanceof AggregateError && error.errors.length > 0)
    return [...new Set(error.errors.map(reasonOf))].join('; ');
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return (error.message || (typeof code === 'string' ? code : '') || error.name).split('\n')[0] ?? '';
  }
  return String(error);
};

const unreachable = (
  dependency: string,
  url: string,
  setting: SettingName,
  error: unknown,
): UnreachableDependencyError => {
  const password = passwordOf(url);
  const reason = password ? reasonOf(error).replaceAll(password, '***') : reasonOf(error);
  return new UnreachableDependencyError(dependency, addressOf(url), setting, reason);
};

/** Runs `step`, turning any failure into an UnreachableDependencyError about this dependency. */
export const reach = async (
  dependency: string,
  url: string,
  setting: SettingName,
  step: () => Promise<unknown>,
): Promise<void> => {
  try {
    await step();
  } catch (error) {
    throw unreachable(dependency, url, setting, error);
  }
};

/**
 * Tries `open` until it reaches its dependencies or runs out of attempts. A server logs one line per failed attempt,
 * naming the dependency and the setting (no stack: the cause is known); when it gives up, the error says so.
 */
export const withAttempts = async (
  logger: Logger,
  attempts: number,
  open: () => Promise<void>,
  giveUp: () => void,
): Promise<void> => {
  for (let attempt = 1; ; attempt++) {
    try {
      await open();
      return;
    } catch (error) {
      if (!(error instanceof UnreachableDependencyError)) throw error;
      if (attempt >= attempts) {
        giveUp();
        throw new UnreachableDependencyError(
          error.dependency,
          error.address,
          error.setting,
          error.reason,
          attempts,
        );
      }
      logger.warn(
        {
          dependency: error.dependency,
          address: error.address,
          setting: error.setting,
          reason: error.reason,
          attempt,
          attempts,
        },
        `${error.message}; retrying in 1 s (attempt ${attempt} of ${attempts})`,
      );
      await sleep(1000);
    }
  }
};

/**
 * What the Redis client last failed with: ioredis reports connection failures as `error` events (and prints them to
 * stderr itself when nobody listens), while its promises only say "Connection is closed.". A running server logs one
 * line when it loses Redis and one when it is back, not one per reconnection attempt.
 */
const watchRedis = (redis: Redis, logger: Logger, address: string): { lastError: () => unknown } => {
  let lastError: unknown;
  let ready = false;
  let lost = false;
  redis.on('ready', () => {
    if (lost) logger.info({ address }, `Redis at ${address} is back`);
    ready = true;
    lost = false;
    lastError = undefined;
  });
  redis.on('error', (error: unknown) => {
    lastError = error;
    if (!ready) return;
    ready = false;
    lost = true;
    logger.warn(
      { address, setting: 'COUPONKILL_REDIS_URL', reason: reasonOf(error) },
      `lost Redis at ${address}: ${reasonOf(error)}; reconnecting`,
    );
  });
  return { lastError: () => lastError };
};

const watchedRedis = new WeakMap<Redis, { lastError: () => unknown }>();

/**
 * Connects the write side's adapters (the event store, Redis) and prepares the embedded schema. Servers retry for a
 * while so that a process started alongside its dependencies waits for them instead of crash-looping; CLI tasks
 * (`attempts: 1`) fail at once. Either way a failure is an UnreachableDependencyError naming the setting to fix.
 */
export const openWriteSide = async (container: Container, options: OpenOptions = {}): Promise<void> => {
  const config = container.get(TOKENS.Config);
  const logger = container.get(TOKENS.Logger);
  const redis = container.get(TOKENS.Redis);
  // A Sentinel-managed primary is wherever the Sentinels say: name them, not COUPONKILL_REDIS_URL.
  const redisAddress =
    config.redis.topology.mode === 'sentinel'
      ? describeTopology(config.redis.topology)
      : addressOf(config.redis.url);
  let redisWatch = watchedRedis.get(redis);
  if (!redisWatch) {
    redisWatch = watchRedis(redis, logger, redisAddress);
    watchedRedis.set(redis, redisWatch);
  }
  const { lastError } = redisWatch;
  await withAttempts(
    logger,
    options.attempts ?? SERVER_STARTUP_ATTEMPTS,
    async () => {
      if (config.eventStore.kind === 'mysql') {
        const { url } = config.eventStore;
        await reach('MySQL', url, 'COUPONKILL_EVENT_STORE_URL', () => ensureDatabase(url));
        await migrateEventStore(container.get(TOKENS.EventStorePool));
      } else {
        const url = config.eventStore.esdbConnectionString ?? '';
        // The adapter itself: its own error says why, where the breaker would only say it is open.
        await reach('EventStoreDB', url, 'COUPONKILL_ESDB_CONNECTION_STRING', () =>
          container.get(TOKENS.EventStoreAdapter).ping(),
        );
      }
      // The first attempt connects; after a failure ioredis keeps reconnecting by itself, and later attempts look
      // whether it got there.
      await reach('Redis', config.redis.url, 'COUPONKILL_REDIS_URL', async () => {
        try {
          if (redis.status === 'wait') await redis.connect();
          else if (redis.status !== 'ready') throw new Error(`connection is ${redis.status}`);
          await redis.ping();
        } catch (error) {
          // ioredis's promises say only "Connection is closed."; its error event said why.
          throw lastError() ?? error;
        }
      });
      // Built now: it watches the gate's primary from the start (a failover before any switch is noticed too).
      container.get(GateTopologySwitch);
      const gate = container.get(TOKENS.InitialGateTopology);
      if (gate.topology.mode === 'cluster')
        await reach('Redis Cluster', gate.description, 'COUPONKILL_REDIS_CLUSTER_NODES', () => gate.check());
    },
    () => redis.disconnect(),
  );
};

export const closeWriteSide = async (container: Container): Promise<void> => {
  container.get(CircuitBreakers).stop();
  await container.get(TOKENS.EventStore).close();
  await container.get(GateTopologySwitch).inForce.close();
  const redis = container.get(TOKENS.Redis);
  if (redis.status === 'ready') await redis.quit();
  else redis.disconnect();
};

/** Creates the read side's own databases and tables, waiting for the read database like openWriteSide. */
export const openReadSide = async (container: Container, options: OpenOptions = {}): Promise<void> => {
  const config = container.get(TOKENS.Config);
  const url = config.read.databaseUrl;
  await withAttempts(
    container.get(TOKENS.Logger),
    options.attempts ?? SERVER_STARTUP_ATTEMPTS,
    () => reach('MySQL', url, 'COUPONKILL_READ_DATABASE_URL', () => ensureDatabase(url)),
    () => undefined,
  );
  await container.get(MySqlReadCatalog).migrate();
  await container.get(MySqlRelayCheckpoint).migrate();
  await container.get(MySqlPartitionLeases).migrate();
  await container.get(MySqlNotificationDeliveries).migrate();
};

export const closeReadSide = async (container: Container): Promise<void> => {
  await container.get(TOKENS.Bus).close();
  await container.get(MySqlReadShards).close();
  await container.get(MySqlReadCatalog).close();
};
