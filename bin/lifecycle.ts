import type { Container } from 'inversify';
import { setTimeout as sleep } from 'node:timers/promises';
import { migrateEventStore } from '../infra/mysql/event-store-schema';
import { ensureDatabase } from '../infra/mysql/mysql-pool';
import { MySqlReadCatalog } from '../infra/mysql/mysql-read-catalog';
import { MySqlReadShards } from '../infra/mysql/mysql-read-shards';
import { MySqlRelayCheckpoint } from '../infra/mysql/mysql-relay-checkpoint';
import { TOKENS } from './tokens';

const STARTUP_ATTEMPTS = 30;

/**
 * Connects the write side's adapters and prepares the embedded schema, retrying for a while so that a process
 * started alongside its dependencies waits for them instead of crash-looping.
 */
export const openWriteSide = async (container: Container): Promise<void> => {
  const config = container.get(TOKENS.Config);
  const logger = container.get(TOKENS.Logger);
  for (let attempt = 1; ; attempt++) {
    try {
      if (config.eventStore.kind === 'mysql') {
        await ensureDatabase(config.eventStore.url);
        await migrateEventStore(container.get(TOKENS.EventStorePool));
      } else await container.get(TOKENS.EventStore).ping();
      const redis = container.get(TOKENS.Redis);
      if (redis.status === 'wait') await redis.connect();
      await redis.ping();
      return;
    } catch (error) {
      if (attempt >= STARTUP_ATTEMPTS) throw error;
      logger.warn({ err: error, attempt }, 'dependencies not reachable yet; retrying');
      await sleep(1000);
    }
  }
};

export const closeWriteSide = async (container: Container): Promise<void> => {
  await container.get(TOKENS.EventStore).close();
  const redis = container.get(TOKENS.Redis);
  if (redis.status === 'ready') await redis.quit();
  else redis.disconnect();
};

/** Creates the read side's own databases and tables. */
export const openReadSide = async (container: Container): Promise<void> => {
  const config = container.get(TOKENS.Config);
  await ensureDatabase(config.read.databaseUrl);
  await container.get(MySqlReadCatalog).migrate();
  await container.get(MySqlRelayCheckpoint).migrate();
};

export const closeReadSide = async (container: Container): Promise<void> => {
  await container.get(TOKENS.Bus).close();
  await container.get(MySqlReadShards).close();
  await container.get(MySqlReadCatalog).close();
};
