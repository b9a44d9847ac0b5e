import type { Container } from 'inversify';
import type { Redis } from 'ioredis';
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
  BusRedis: token<Redis>('BusRedis'),
} as const;

/** The read side's graph on top of the write side's adapters (event store, Redis, config, logger, metrics). */
export const bindReadSide = (container: Container): void => {
  const single = singletons(container);
  single(READ_TOKENS.Bus, (get) => {
    const config = get(TOKENS.Config);
    return new RedisStreamsBus(get(TOKENS.Redis), get(TOKENS.Logger), {
      prefix: config.redis.keyPrefix,
      ...config.bus,
    });
  });
  single(MySqlReadShards, (get) => {
    const { read } = get(TOKENS.Config);
    return new MySqlReadShards(shardMap(read.databaseUrl, read.shardUrls), 8);
  });
  single(
    MySqlReadCatalog,
    (get) =>
      new MySqlReadCatalog(
        createMySqlPool({
          url: get(TOKENS.Config).read.databaseUrl,
          connectionLimit: 4,
          lockWaitTimeoutSeconds: 10,
        }),
      ),
  );
  single(MySqlRelayCheckpoint, (get) => new MySqlRelayCheckpoint(get(TOKENS.EventStorePool), 'default'));
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
        idleMs: 20,
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
  await container.get(MySqlReadShards).close();
  await container.get(MySqlReadCatalog).close();
};
