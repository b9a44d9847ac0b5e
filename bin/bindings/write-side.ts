import type { Container } from 'inversify';
import { hostname } from 'node:os';
import { Counter, Gauge, type Registry } from 'prom-client';
import { CouponHandlers } from '../../commands/coupon-handlers';
import { DEFAULT_RECOVERY_OPTIONS, GateRecovery } from '../../commands/gate-recovery';
import { GateSync } from '../../commands/gate-sync';
import { NotificationHandlers } from '../../commands/notification-handlers';
import { OrderHandlers } from '../../commands/order-handlers';
import { ReservationFiring } from '../../commands/reservation-firing';
import { ReservationHandlers } from '../../commands/reservation-handlers';
import { ReservationReconciler } from '../../commands/reservation-reconciler';
import { ReservationSettlement } from '../../commands/reservation-settlement';
import { SeckillHandler } from '../../commands/seckill-handler';
import { UserHandlers } from '../../commands/user-handlers';
import { JwtTokens } from '../../infra/auth/jwt-tokens';
import { SystemClock } from '../../infra/clock/system-clock';
import { EventStoreDbEventStore } from '../../infra/eventstoredb/eventstoredb-event-store';
import { UuidV7Ids } from '../../infra/ids/uuid-v7-ids';
import { MySqlEventStore } from '../../infra/mysql/mysql-event-store';
import { createMySqlPool } from '../../infra/mysql/mysql-pool';
import { createRedisClient } from '../../infra/redis/redis-client';
import { DEFAULT_TOPOLOGY_CHECK_MS, RedisTopologyGate } from '../../infra/redis/redis-topology-gate';
import { createTopologyClient } from '../../infra/redis/redis-topology';
import { RedisSaleStats } from '../../infra/redis/sale-stats';
import { GateTopologySwitch } from '../../commands/gate-topology-switch';
import { SwitchableStockGate } from '../../commands/switchable-stock-gate';
import type { Redis } from 'ioredis';
import type { HasAppendQueue } from '../../infra/resilience/append-queue-stats';
import { BreakingEventStore } from '../../infra/resilience/breaking-event-store';
import { BreakingStockGate } from '../../infra/resilience/breaking-stock-gate';
import { CircuitBreakers } from '../../infra/resilience/circuit-breakers';
import { SwitchableEventStore } from '../../infra/resilience/switchable-event-store';
import type { Config } from '../../infra/config/config';
import type { Pool } from 'mysql2/promise';
import { TOKENS } from '../tokens';
import { singletons } from './singletons';

/** Appends waiting for the event store now (gauge). */
export const EVENT_STORE_APPEND_QUEUE_DEPTH = 'couponkill_event_store_append_queue_depth';
/** Appends that may wait before more are shed (gauge). */
export const EVENT_STORE_APPEND_QUEUE_LIMIT = 'couponkill_event_store_append_queue_limit';
/** Appends shed at once because the append queue was full (counter). */
export const EVENT_STORE_APPENDS_SHED_TOTAL = 'couponkill_event_store_appends_shed_total';
/** Passes that rebuilt coupons of the stock gate from the event store (counter). */
export const GATE_RECOVERIES_TOTAL = 'couponkill_gate_recoveries_total';
/** Coupons whose gate state was rebuilt from the event store: the gate had drifted from the log (counter). */
export const GATE_RECOVERED_COUPONS_TOTAL = 'couponkill_gate_recovered_coupons_total';
/** Reservations the reconciler settled, by `outcome` (kept, released) (counter). */
export const RESERVATIONS_SETTLED_TOTAL = 'couponkill_reservations_settled_total';
/** The reconciler's timed sweeps, by `result` (ok, failed) (counter). */
export const RESERVATION_SWEEPS_TOTAL = 'couponkill_reservation_sweeps_total';
/** Unix time in seconds of the reconciler's last successful sweep; 0 before the first (gauge). */
export const RESERVATION_SWEEP_LAST_SUCCESS_TIMESTAMP_SECONDS =
  'couponkill_reservation_sweep_last_success_timestamp_seconds';

/** The append queue of the event store on /metrics: its depth, its bound and the appends it shed. */
const appendQueueMetrics = (adapter: HasAppendQueue, registry: Registry): void => {
  new Gauge({
    name: EVENT_STORE_APPEND_QUEUE_DEPTH,
    help: 'Appends waiting for the event store now (group-commit queue; EventStoreDB: appends in flight)',
    registers: [registry],
    collect() {
      this.set(adapter.appendQueue.depth);
    },
  });
  new Gauge({
    name: EVENT_STORE_APPEND_QUEUE_LIMIT,
    help: 'Appends that may wait for the event store before more are refused with 503 OVERLOADED',
    registers: [registry],
    collect() {
      this.set(adapter.appendQueue.limit);
    },
  });
  new Counter({
    name: EVENT_STORE_APPENDS_SHED_TOTAL,
    help: 'Appends refused at once (503 OVERLOADED) because the append queue was full; shed seckills took no stock',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(adapter.appendQueue.shed);
    },
  });
};

/** The embedded MySQL event store on a pool, with the configured batch and queue bounds. */
export const mySqlEventStore = (config: Config, pool: Pool): MySqlEventStore =>
  new MySqlEventStore(pool, {
    maxBatchAppends: config.eventStore.batchMax,
    maxQueuedAppends: config.admission.eventStoreQueueMax,
    overloadRetryAfterSeconds: config.admission.overloadRetryAfterSeconds,
  });

/** A pool of the event store's MySQL at `url`. */
export const eventStorePool = (config: Config, url = config.eventStore.url): Pool =>
  createMySqlPool({
    url,
    connectionLimit: config.eventStore.poolSize,
    lockWaitTimeoutSeconds: config.eventStore.lockWaitSeconds,
  });

/**
 * The write side's object graph: adapters bound to their ports, then the command handlers on top. The caller binds
 * Config, Logger and Metrics.
 */
export const bindWriteSide = (container: Container): void => {
  const single = singletons(container);
  // The start-up Redis: the gate's when its topology is one server or Sentinel-managed; the embedded bus and the auth
  // quotas keep it for the process's life (a gate in a cluster leaves them on COUPONKILL_REDIS_URL).
  single(TOKENS.Redis, (get) => {
    const { redis } = get(TOKENS.Config);
    return redis.topology.mode === 'sentinel'
      ? (createTopologyClient(redis.topology, redis.commandTimeoutMs) as Redis)
      : createRedisClient({ url: redis.url, commandTimeoutMs: redis.commandTimeoutMs });
  });
  single(TOKENS.InitialGateTopology, (get) => {
    const { redis } = get(TOKENS.Config);
    const logger = get(TOKENS.Logger);
    const log = (message: string, fields: Record<string, unknown>) => logger.warn(fields, message);
    return redis.topology.mode === 'cluster'
      ? RedisTopologyGate.open(
          redis.topology,
          redis.keyPrefix,
          redis.commandTimeoutMs,
          DEFAULT_TOPOLOGY_CHECK_MS,
          log,
        )
      : new RedisTopologyGate(redis.topology, get(TOKENS.Redis), redis.keyPrefix, {
          checkTimeoutMs: DEFAULT_TOPOLOGY_CHECK_MS,
          shared: true,
          log,
        });
  });
  single(SwitchableStockGate, (get) => new SwitchableStockGate(get(TOKENS.InitialGateTopology).gate));
  single(
    GateTopologySwitch,
    (get) =>
      new GateTopologySwitch(
        get(SwitchableStockGate),
        get(TOKENS.InitialGateTopology),
        get(GateRecovery),
        get(TOKENS.Clock),
        get(TOKENS.Logger),
        {
          fenceMs: 7 * 24 * 3600 * 1000,
          // Past a recovery lease: a live recoverer's lease always ends first.
          fenceWaitMs: DEFAULT_RECOVERY_OPTIONS.leaseMs + 5000,
          drainMs: 10_000,
        },
      ),
  );
  // On the start-up Redis, like the auth quotas: the counts stay put when the gate's topology moves.
  single(RedisSaleStats, (get) => {
    const { redis, saleStats } = get(TOKENS.Config);
    return new RedisSaleStats(get(TOKENS.Redis), get(TOKENS.Clock), get(TOKENS.Logger), {
      prefix: redis.keyPrefix,
      flushMs: saleStats.flushMs,
    });
  });
  single(TOKENS.EventStorePool, (get) => eventStorePool(get(TOKENS.Config)));
  single(
    CircuitBreakers,
    (get) =>
      new CircuitBreakers(get(TOKENS.Config).admission.breaker, get(TOKENS.Logger), get(TOKENS.Metrics)),
  );
  single(TOKENS.EventStoreAdapter, (get) => {
    const { eventStore, admission } = get(TOKENS.Config);
    const { eventStoreQueueMax, overloadRetryAfterSeconds } = admission;
    const adapter =
      eventStore.kind === 'eventstoredb' && eventStore.esdbConnectionString
        ? new EventStoreDbEventStore({
            connectionString: eventStore.esdbConnectionString,
            maxPendingAppends: eventStoreQueueMax,
            overloadRetryAfterSeconds,
          })
        : mySqlEventStore(get(TOKENS.Config), get(TOKENS.EventStorePool));
    // Behind a switch: the MySQL store's endpoint is live (a promoted replica; bin/live-appliers.ts).
    const switchable = new SwitchableEventStore(adapter);
    appendQueueMetrics(switchable, get(TOKENS.Metrics));
    return switchable;
  });
  single(TOKENS.EventStore, (get) => {
    const adapter = get(TOKENS.EventStoreAdapter);
    return new BreakingEventStore(
      adapter,
      get(CircuitBreakers).of('event store', () => adapter.ping()),
    );
  });
  single(TOKENS.StockGate, (get) => {
    const gate = get(SwitchableStockGate);
    return new BreakingStockGate(
      gate,
      get(CircuitBreakers).of('redis', () => gate.ping()),
    );
  });
  single(TOKENS.Clock, () => new SystemClock());
  single(TOKENS.Ids, () => new UuidV7Ids());
  single(JwtTokens, (get) => new JwtTokens(get(TOKENS.Config).jwt));
  single(
    CouponHandlers,
    (get) =>
      new CouponHandlers(
        get(TOKENS.EventStore),
        get(TOKENS.StockGate),
        get(GateSync),
        get(TOKENS.Clock),
        get(TOKENS.Ids),
      ),
  );
  single(
    OrderHandlers,
    (get) =>
      new OrderHandlers(
        get(TOKENS.EventStore),
        get(TOKENS.StockGate),
        get(GateSync),
        get(TOKENS.Clock),
        get(TOKENS.Ids),
      ),
  );
  single(
    UserHandlers,
    (get) =>
      new UserHandlers(
        get(TOKENS.EventStore),
        get(TOKENS.PasswordHasher),
        get(TOKENS.Clock),
        get(TOKENS.Ids),
        { configuredAdmin: get(TOKENS.Config).admin?.username },
      ),
  );
  single(
    NotificationHandlers,
    (get) => new NotificationHandlers(get(TOKENS.EventStore), get(TOKENS.Clock), get(TOKENS.Ids)),
  );
  single(GateRecovery, (get) => {
    const metrics = get(TOKENS.Metrics);
    const passes = new Counter({
      name: GATE_RECOVERIES_TOTAL,
      help: 'Passes that rebuilt coupons of the stock gate from the event store',
      registers: [metrics],
    });
    const recovered = new Counter({
      name: GATE_RECOVERED_COUPONS_TOTAL,
      help: 'Coupons whose gate state was rebuilt from the event store (lost or damaged keys, or a full rebuild)',
      registers: [metrics],
    });
    return new GateRecovery(
      get(TOKENS.EventStore),
      get(TOKENS.StockGate),
      get(TOKENS.Clock),
      get(TOKENS.Logger),
      {
        ...DEFAULT_RECOVERY_OPTIONS,
        owner: `${hostname()}/${String(process.pid)}/${get(TOKENS.Ids).newId()}`,
        appendTimeoutMs: get(TOKENS.Config).seckill.appendTimeoutMs,
        reservationPriorityMs: get(TOKENS.Config).reservations.priorityMs,
      },
      (report) => {
        passes.inc();
        recovered.inc(report.coupons);
      },
    );
  });
  single(GateSync, (get) => new GateSync(get(TOKENS.EventStore), get(TOKENS.StockGate), get(GateRecovery)));
  single(ReservationSettlement, (get) => {
    const settled = new Counter({
      name: RESERVATIONS_SETTLED_TOTAL,
      help: 'Reservations settled by the reconciler: kept (order stored) or released (unit returned)',
      labelNames: ['outcome'],
      registers: [get(TOKENS.Metrics)],
    });
    return new ReservationSettlement(
      get(TOKENS.EventStore),
      get(TOKENS.StockGate),
      get(GateSync),
      get(TOKENS.Clock),
      get(TOKENS.Ids),
      get(TOKENS.Logger),
      (outcome) => settled.inc({ outcome }),
    );
  });
  single(ReservationReconciler, (get) => {
    const { reconciler } = get(TOKENS.Config);
    const sweeps = new Counter({
      name: RESERVATION_SWEEPS_TOTAL,
      help: "The reconciler's timed sweeps of the gate's reservations, by result (ok, failed)",
      labelNames: ['result'],
      registers: [get(TOKENS.Metrics)],
    });
    const lastSuccess = new Gauge({
      name: RESERVATION_SWEEP_LAST_SUCCESS_TIMESTAMP_SECONDS,
      help: 'Unix time of the last sweep of the reconciler that succeeded (0: none yet)',
      registers: [get(TOKENS.Metrics)],
    });
    const clock = get(TOKENS.Clock);
    return new ReservationReconciler(
      get(TOKENS.StockGate),
      get(ReservationSettlement),
      get(GateSync),
      get(GateRecovery),
      clock,
      get(TOKENS.Logger),
      { graceMs: reconciler.graceMs, intervalMs: reconciler.intervalMs, batchSize: 200, couponSyncEvery: 30 },
      ({ result }) => {
        sweeps.inc({ result });
        if (result === 'ok') lastSuccess.set(clock.now().getTime() / 1000);
      },
    );
  });
  single(
    SeckillHandler,
    (get) =>
      new SeckillHandler(
        get(TOKENS.EventStore),
        get(TOKENS.StockGate),
        get(GateRecovery),
        get(ReservationSettlement),
        get(TOKENS.Clock),
        get(TOKENS.Ids),
        { appendTimeoutMs: get(TOKENS.Config).seckill.appendTimeoutMs, recoveryWaitMs: 1500 },
      ),
  );
  single(
    ReservationHandlers,
    (get) =>
      new ReservationHandlers(
        get(TOKENS.EventStore),
        get(TOKENS.StockGate),
        get(TOKENS.Clock),
        get(TOKENS.Ids),
        get(TOKENS.Logger),
        { priorityMs: get(TOKENS.Config).reservations.priorityMs, maxPerBuyerAndCoupon: 100 },
      ),
  );
  single(
    ReservationFiring,
    (get) =>
      new ReservationFiring(
        get(TOKENS.EventStore),
        get(SeckillHandler),
        get(ReservationSettlement),
        get(TOKENS.Clock),
        get(TOKENS.Ids),
        get(TOKENS.Logger),
      ),
  );
};
