import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Container } from 'inversify';
import type { Registry } from 'prom-client';
import { GateTopologySwitch } from '../commands/gate-topology-switch';
import type { Config } from '../infra/config/config';
import type { LiveConfig } from '../infra/config/live-config';
import { DEFAULT_TOPOLOGY_CHECK_MS, RedisTopologyGate } from '../infra/redis/redis-topology-gate';
import { sameTopology } from '../infra/redis/redis-topology';
import { buyerReadLimit } from '../read-api/read-admission';
import { seckillAdmission, type SeckillAdmission } from '../write-api/seckill-admission';
import { liveConfigMetrics } from './live-configuration';
import { TOKENS } from './tokens';
import { eventStorePool, mySqlEventStore } from './bindings/write-side';
import { checkEventStoreEndpoint } from '../infra/mysql/event-store-endpoint';

/**
 * The switch era of a topology change: from the old and the new topology alone, so every process making the change
 * names it the same whatever else its configuration holds (GateTopologySwitch). A later switch back and forth again
 * gets the same name; leaving a topology forgets its era there, so the first process to come back still clears it.
 */
const topologyEpoch = (previous: Config, next: Config): string =>
  createHash('sha256')
    .update(JSON.stringify([previous.redis.topology, next.redis.topology]))
    .digest('hex')
    .slice(0, 16);

/**
 * What every process applies live: the log level, the event store's endpoint and the stock gate's Redis topology (the
 * last two irreversible: LiveConfig runs them only when they move, after every other applier). Also puts the
 * configuration's state on /metrics.
 */
export const applyLiveConfig = (live: LiveConfig, container: Container): void => {
  const logger = container.get(TOKENS.Logger);
  live.useLogger(logger);
  liveConfigMetrics(live, container.get(TOKENS.Metrics));
  live.onChange('log level', (next) => {
    logger.level = next.logLevel;
  });
  applyEventStoreEndpoint(live, container);
  live.onChange(
    'redis topology',
    async (next, previous) => {
      const { redis } = next;
      await container.get(GateTopologySwitch).switchTo(
        RedisTopologyGate.open(
          redis.topology,
          redis.keyPrefix,
          redis.commandTimeoutMs,
          DEFAULT_TOPOLOGY_CHECK_MS,
          (message, fields) => logger.warn(fields, message),
        ),
        topologyEpoch(previous, next),
      );
    },
    { changed: (next, previous) => !sameTopology(previous.redis.topology, next.redis.topology) },
  );
};

/** The new endpoint must answer its checks within this, in ms. */
const ENDPOINT_CHECK_MS = 5000;

/**
 * The MySQL event store's endpoint (COUPONKILL_EVENT_STORE_URL), switched live to a promoted replica: a new pool and
 * adapter are checked (writable, caught up: infra/mysql/event-store-endpoint.ts), new calls move to them, the old
 * adapter's calls drain and it closes (catch-up subscriptions on it end, and their subscribers resubscribe on the new
 * one from their checkpoint). Refused, with the old endpoint kept, when a check fails.
 */
export const applyEventStoreEndpoint = (live: LiveConfig, container: Container): void => {
  live.onChange(
    'event store endpoint',
    async (next, previous) => {
      if (next.eventStore.kind !== 'mysql')
        throw new Error(
          'COUPONKILL_EVENT_STORE_URL is restart-only with COUPONKILL_EVENT_STORE=eventstoredb',
        );
      const switchable = container.get(TOKENS.EventStoreAdapter);
      const pool = eventStorePool(next, next.eventStore.url);
      const store = mySqlEventStore(next, pool);
      try {
        await withDeadline(checkEventStoreEndpoint(pool, store, switchable.highestSeen), ENDPOINT_CHECK_MS);
      } catch (error) {
        await store.close().catch(() => undefined);
        throw new Error(
          `cannot move the event store to ${hostOf(next.eventStore.url)}: ${error instanceof Error ? error.message : String(error)}; staying on ${hostOf(previous.eventStore.url)}`,
          { cause: error },
        );
      }
      const old = switchable.use(store);
      const logger = container.get(TOKENS.Logger);
      if (!(await old.drain(10_000)))
        logger.warn('calls to the old event store still running after 10 s: closing it');
      await old.store.close().catch(() => undefined);
      // An append the old primary acknowledged between the check and the move must be on the new one too: it is when
      // the old primary stopped taking writes first (README); if not, say so loudly, with the positions.
      const head = await store.headPosition().catch(() => null);
      if (head !== null && head < switchable.highestSeen)
        logger.error(
          { head: head.toString(), acknowledged: switchable.highestSeen.toString() },
          'the new event store lacks events the old primary acknowledged after the check: was it still taking writes?',
        );
      logger.info(
        { from: hostOf(previous.eventStore.url), to: hostOf(next.eventStore.url) },
        'event store moved to a new endpoint',
      );
    },
    { changed: (next, previous) => next.eventStore.url !== previous.eventStore.url },
  );
};

const hostOf = (url: string): string => {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '3306'}${parsed.pathname}`;
};

const withDeadline = async <T>(work: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${String(ms)} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
};

/** The seckill route's admission, rebuilt when its limits change live (its one-second windows start afresh). */
export const liveSeckillAdmission = (
  config: Config,
  registry: Registry,
  live: LiveConfig | null,
): SeckillAdmission => {
  let admission = seckillAdmission(config.admission.seckill, registry);
  live?.onChange('seckill rate limits', (next, previous) => {
    if (JSON.stringify(next.admission.seckill) !== JSON.stringify(previous.admission.seckill))
      admission = seckillAdmission(next.admission.seckill, registry);
  });
  return (couponId, userId) => admission(couponId, userId);
};

/** The read API's per-buyer limit, rebuilt when it changes live. */
export const liveReadLimit = (
  config: Config,
  registry: Registry,
  live: LiveConfig | null,
): RequestHandler => {
  let limit = buyerReadLimit(config.admission.reads, registry);
  live?.onChange('read rate limit', (next, previous) => {
    if (next.admission.reads.buyerRequestsPerSecond !== previous.admission.reads.buyerRequestsPerSecond)
      limit = buyerReadLimit(next.admission.reads, registry);
  });
  return (req, res, next) => {
    limit(req, res, next);
  };
};
