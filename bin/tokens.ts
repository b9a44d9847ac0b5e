import type { ServiceIdentifier } from 'inversify';
import type { Redis } from 'ioredis';
import type { Pool } from 'mysql2/promise';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from '../commands/clock-port';
import type { EventStore } from '../commands/event-store-port';
import type { IdGenerator } from '../commands/id-generator-port';
import type { PasswordHasher } from '../commands/password-hasher-port';
import type { StockGate } from '../commands/stock-gate-port';
import type { Config } from '../infra/config/config';
import type { RedisTopologyGate } from '../infra/redis/redis-topology-gate';
import type { ClientAddress } from '../infra/http/client-address';
import type { SwitchableEventStore } from '../infra/resilience/switchable-event-store';
import type { EventBus } from '../projections/event-bus-port';
import type { PartitionLeases } from '../projections/partition-leases-port';
import type { DeadLetters, ReadModelCatalog, ReadShards } from '../projections/read-model-ports';
import type { RelayCheckpoint } from '../projections/relay';
import type { UserAdmission } from '../write-api/routes/user-routes';

const token = <T>(name: string): ServiceIdentifier<T> => Symbol.for(`couponkill.${name}`);

/** The container's keys for what is bound by port (classes are their own keys). */
export const TOKENS = {
  Config: token<Config>('Config'),
  Logger: token<Logger>('Logger'),
  Metrics: token<Registry>('Metrics'),
  Redis: token<Redis>('Redis'),
  EventStorePool: token<Pool>('EventStorePool'),
  /**
   * The configured adapter (MySQL or EventStoreDB) behind the switch of its endpoint, without its circuit breaker: for
   * start-up checks and the live endpoint switch.
   */
  EventStoreAdapter: token<SwitchableEventStore>('EventStoreAdapter'),
  /** The event store every handler uses: the adapter behind its circuit breaker. */
  EventStore: token<EventStore>('EventStore'),
  /** The stock gate on the Redis topology the process started with. */
  InitialGateTopology: token<RedisTopologyGate>('InitialGateTopology'),
  /** The stock gate behind the circuit breaker of Redis. */
  StockGate: token<StockGate>('StockGate'),
  Clock: token<Clock>('Clock'),
  Ids: token<IdGenerator>('Ids'),
  PasswordHasher: token<PasswordHasher>('PasswordHasher'),
  Bus: token<EventBus>('Bus'),
  CatalogPool: token<Pool>('CatalogPool'),
  /** The read shards, each behind a circuit breaker of its own. */
  ReadShards: token<ReadShards>('ReadShards'),
  ReadCatalog: token<ReadModelCatalog>('ReadCatalog'),
  RelayCheckpoint: token<RelayCheckpoint>('RelayCheckpoint'),
  DeadLetters: token<DeadLetters>('DeadLetters'),
  PartitionLeases: token<PartitionLeases>('PartitionLeases'),
  /** The client address of a request: the socket peer, or X-Forwarded-For through trusted proxies only. */
  ClientAddress: token<ClientAddress>('ClientAddress'),
  /** The limits of registration, login and token refresh, and the client address they key by. */
  UserAdmission: token<UserAdmission>('UserAdmission'),
} as const;
