import type { Container } from 'inversify';
import type { Pool } from 'mysql2/promise';
import { RocketMqBus } from '../infra/rocketmq/rocketmq-bus';
import { createMySqlPool, ensureDatabase } from '../infra/mysql/mysql-pool';
import { MySqlReadCatalog } from '../infra/mysql/mysql-read-catalog';
import { MySqlReadShards, shardMap } from '../infra/mysql/mysql-read-shards';
import { MySqlRelayCheckpoint } from '../infra/mysql/mysql-relay-checkpoint';
import { RedisStreamsBus } from '../infra/redis/redis-streams-bus';
import { singletons, token, TOKENS } from '../write-api/write-side-bindings';
import type { EventBus } from './event-bus-port';
import { LiveGenerations } from './live-generations';
import { PROJECTION_NAMES } from './projection';
import { ProjectionLag } from './projection-lag';
import { ProjectionWriter } from './projection-writer';
import { ReadQueries } from './read-queries';
import { Relay } from './relay';

export const READ_TOKENS = {
  Bus: token<EventBus>('Bus'),
  CatalogPool: token<Pool>('CatalogPool'),
} as const;

/** The read side's graph on top of the write side's adapters (event store, Redis, config, logger, metrics). */
export const bindReadSide = (container: Container): void => {
  const single = singletons(container);
  single(READ_TOKENS.Bus, (get) => {
    const { bus, redis } = get(TOKENS.Config);
    return bus.kind === 'rocketmq'
      ? new RocketMqBus(
          {
            ...bus.rocketmq,
            deadLetterTopic: `${bus.rocketmq.topic}-DLQ`,
            invisibleMs: bus.claimIdleMs,
            maxDeliveries: bus.maxDeliveries,
            requestTimeoutMs: 3000,
          },
          get(TOKENS.Logger),
        )
      : new RedisStreamsBus(get(TOKENS.Redis), get(TOKENS.Logger), {
          prefix: redis.keyPrefix,
          claimIdleMs: bus.claimIdleMs,
          maxDeliveries: bus.maxDeliveries,
        });
  });
  single(MySqlReadShards, (get) => {
    const { read } = get(TOKENS.Config);
    return new MySqlReadShards(shardMap(read.databaseUrl, read.shardUrls), 8);
  });
  single(READ_TOKENS.CatalogPool, (get) =>
    createMySqlPool({
      url: get(TOKENS.Config).read.databaseUrl,
      connectionLimit: 4,
      lockWaitTimeoutSeconds: 10,
    }),
  );
  single(MySqlReadCatalog, (get) => new MySqlReadCatalog(get(READ_TOKENS.CatalogPool)));
  // In the read database: it exists whichever event store is configured.
  single(MySqlRelayCheckpoint, (get) => new MySqlRelayCheckpoint(get(READ_TOKENS.CatalogPool), 'default'));
  single(ProjectionWriter, (get) => new ProjectionWriter(get(MySqlReadShards)));
  single(LiveGenerations, (get) => new LiveGenerations(get(MySqlReadCatalog)));
  single(
    ReadQueries,
    (get) => new ReadQueries(get(MySqlReadShards), get(LiveGenerations), get(TOKENS.Config).read.waitMs),
  );
  single(
    ProjectionLag,
    (get) =>
      new ProjectionLag(
        get(TOKENS.EventStore),
        get(LiveGenerations),
        get(ProjectionWriter),
        PROJECTION_NAMES,
      ),
  );
  single(
    Relay,
    (get) =>
      new Relay(get(TOKENS.EventStore), get(READ_TOKENS.Bus), get(MySqlRelayCheckpoint), get(TOKENS.Logger), {
        batchSize: 1000,
      }),
  );
};

/** Creates the read side's own databases and tables. */
export const openReadSide = async (container: Container): Promise<void> => {
  const config = container.get(TOKENS.Config);
  await ensureDatabase(config.read.databaseUrl);
  await container.get(MySqlReadCatalog).migrate();
  await container.get(MySqlRelayCheckpoint).migrate();
};

export const closeReadSide = async (container: Container): Promise<void> => {
  await container.get(READ_TOKENS.Bus).close();
  await container.get(MySqlReadShards).close();
  await container.get(MySqlReadCatalog).close();
};
