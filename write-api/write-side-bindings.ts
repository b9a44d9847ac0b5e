import type { Container, ServiceIdentifier } from 'inversify';
import type { Redis } from 'ioredis';
import type { Pool } from 'mysql2/promise';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import type { Clock } from '../commands/clock-port';
import { CouponCommands } from '../commands/coupon-commands';
import type { EventStore } from '../commands/event-store-port';
import { GateRebuild } from '../commands/gate-rebuild';
import type { IdGenerator } from '../commands/id-generator-port';
import { OrderCommands } from '../commands/order-commands';
import type { PasswordHasher } from '../commands/password-hasher-port';
import { ReservationReconciler } from '../commands/reservation-reconciler';
import { SeckillCommand } from '../commands/seckill-command';
import type { StockGate } from '../commands/stock-gate-port';
import { UserCommands } from '../commands/user-commands';
import { JwtTokens } from '../infra/auth/jwt-tokens';
import { ScryptPasswordHasher } from '../infra/auth/scrypt-password-hasher';
import { SystemClock } from '../infra/clock/system-clock';
import type { Config } from '../infra/config/config';
import { UuidV7Ids } from '../infra/ids/uuid-v7-ids';
import { EventStoreDbEventStore } from '../infra/eventstoredb/eventstoredb-event-store';
import { MySqlEventStore } from '../infra/mysql/mysql-event-store';
import { createMySqlPool } from '../infra/mysql/mysql-pool';
import { createRedisClient } from '../infra/redis/redis-client';
import { RedisStockGate } from '../infra/redis/redis-stock-gate';

export const token = <T>(name: string): ServiceIdentifier<T> => Symbol.for(`couponkill.${name}`);

/** Binds lazily built singletons: `single(id, (get) => new Thing(get(Dep)))`. */
export const singletons =
  (container: Container) =>
  <T>(id: ServiceIdentifier<T>, build: (get: <U>(dep: ServiceIdentifier<U>) => U) => T): void => {
    container
      .bind<T>(id)
      .toDynamicValue((context) => build((dep) => context.get(dep)))
      .inSingletonScope();
  };

export const TOKENS = {
  Config: token<Config>('Config'),
  Logger: token<Logger>('Logger'),
  Metrics: token<Registry>('Metrics'),
  Redis: token<Redis>('Redis'),
  EventStorePool: token<Pool>('EventStorePool'),
  EventStore: token<EventStore>('EventStore'),
  StockGate: token<StockGate>('StockGate'),
  Clock: token<Clock>('Clock'),
  Ids: token<IdGenerator>('Ids'),
  PasswordHasher: token<PasswordHasher>('PasswordHasher'),
} as const;

/**
 * The write side's object graph, shared by the write-api process and the CLI: adapters bound to their ports, then the
 * command handlers on top. The caller binds Config, Logger and Metrics.
 */
export const bindWriteSide = (container: Container): void => {
  const single = singletons(container);
  single(TOKENS.Redis, (get) => {
    const { redis } = get(TOKENS.Config);
    return createRedisClient({ url: redis.url, commandTimeoutMs: redis.commandTimeoutMs });
  });
  single(TOKENS.EventStorePool, (get) => {
    const { eventStore } = get(TOKENS.Config);
    return createMySqlPool({
      url: eventStore.url,
      connectionLimit: eventStore.poolSize,
      lockWaitTimeoutSeconds: eventStore.lockWaitSeconds,
    });
  });
  single(TOKENS.EventStore, (get) => {
    const { eventStore } = get(TOKENS.Config);
    return eventStore.kind === 'eventstoredb' && eventStore.esdbConnectionString
      ? new EventStoreDbEventStore({ connectionString: eventStore.esdbConnectionString })
      : new MySqlEventStore(get(TOKENS.EventStorePool), { maxBatchAppends: eventStore.batchMax });
  });
  single(
    TOKENS.StockGate,
    (get) => new RedisStockGate(get(TOKENS.Redis), get(TOKENS.Config).redis.keyPrefix),
  );
  single(TOKENS.Clock, () => new SystemClock());
  single(TOKENS.Ids, () => new UuidV7Ids());
  single(TOKENS.PasswordHasher, (get) => new ScryptPasswordHasher(get(TOKENS.Config).scryptLog2Cost));
  single(JwtTokens, (get) => new JwtTokens(get(TOKENS.Config).jwt));
  single(
    CouponCommands,
    (get) =>
      new CouponCommands(get(TOKENS.EventStore), get(TOKENS.StockGate), get(TOKENS.Clock), get(TOKENS.Ids)),
  );
  single(
    OrderCommands,
    (get) =>
      new OrderCommands(get(TOKENS.EventStore), get(TOKENS.StockGate), get(TOKENS.Clock), get(TOKENS.Ids)),
  );
  single(
    UserCommands,
    (get) =>
      new UserCommands(
        get(TOKENS.EventStore),
        get(TOKENS.PasswordHasher),
        get(TOKENS.Clock),
        get(TOKENS.Ids),
      ),
  );
  single(GateRebuild, (get) => new GateRebuild(get(TOKENS.EventStore), get(TOKENS.StockGate)));
  single(ReservationReconciler, (get) => {
    const settled = new Counter({
      name: 'seckill_reservations_settled_total',
      help: 'Reservations settled by the reconciler: kept (order stored) or released (unit returned)',
      labelNames: ['outcome'],
      registers: [get(TOKENS.Metrics)],
    });
    const { reconciler } = get(TOKENS.Config);
    return new ReservationReconciler(
      get(TOKENS.EventStore),
      get(TOKENS.StockGate),
      get(CouponCommands),
      get(TOKENS.Clock),
      get(TOKENS.Ids),
      get(TOKENS.Logger),
      { graceMs: reconciler.graceMs, intervalMs: reconciler.intervalMs, batchSize: 200, couponSyncEvery: 30 },
      (outcome) => settled.inc({ outcome }),
    );
  });
  single(
    SeckillCommand,
    (get) =>
      new SeckillCommand(
        get(TOKENS.EventStore),
        get(TOKENS.StockGate),
        get(CouponCommands),
        get(ReservationReconciler),
        get(TOKENS.Clock),
        get(TOKENS.Ids),
      ),
  );
};
