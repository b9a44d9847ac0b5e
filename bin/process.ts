import { setTimeout as sleep } from 'node:timers/promises';
import type { Container } from 'inversify';
import { Gauge } from 'prom-client';
import { JwtTokens } from '../infra/auth/jwt-tokens';
import { CircuitBreakers } from '../infra/resilience/circuit-breakers';
import type { Config, ProcessRole } from '../infra/config/config';
import type { ReadinessCheck } from '../infra/http/ops-routes';
import { listen, type Listening } from '../infra/http/listen';
import { RocketMqBus } from '../infra/rocketmq/rocketmq-bus';
import { CouponsQueries } from '../projections/coupons/coupons-queries';
import { LiveReadModels } from '../projections/live-read-models';
import { OrderExpiry } from '../projections/order-expiry';
import { OrdersQueries } from '../projections/orders/orders-queries';
import { StreamTickets } from '../infra/auth/stream-tickets';
import { NotificationDispatcher } from '../projections/notifications/notification-dispatcher';
import { NotificationFeed } from '../projections/notifications/notification-feed';
import { NotificationsQueries } from '../projections/notifications/notifications-queries';
import type { ProjectionName } from '../projections/projection';
import { ProjectionLag, type LagReport } from '../projections/projection-lag';
import { Relay } from '../projections/relay';
import { StatsQueries } from '../projections/stats/stats-queries';
import { ReservationFirer } from '../projections/reservations/reservation-firer';
import { ReservationsQueries } from '../projections/reservations/reservations-queries';
import { createReadApi } from '../read-api/app';
import type { LiveConfig } from '../infra/config/live-config';
import { applyLiveConfig, liveReadLimit } from './live-appliers';
import { ProjectorFactory, WEB_APP_SETTINGS } from './bindings/read-side';
import { createContainer } from './container';
import { closeReadSide, closeWriteSide, openReadSide, openWriteSide } from './lifecycle';
import { createOpsApp } from './ops-app';
import { serveWriteApi } from './roles/write-api';
import { TOKENS } from './tokens';

export interface Roles {
  /** Public port of the write API. */
  readonly writeApi?: number;
  /** Public port of the read API. */
  readonly readApi?: number;
  readonly relay?: boolean;
  readonly projectors?: readonly ProjectionName[];
  /** The reservation firer (README, *Reservations*). */
  readonly firer?: boolean;
  /** The ops listener's port, when not the configured one (tests pass 0). */
  readonly opsPort?: number;
  /** The built web app's folder, when not the package's `web/dist` (tests pass a fixture). */
  readonly webRoot?: string;
}

export interface RunningProcess {
  readonly container: Container;
  readonly urls: { readonly writeApi?: string; readonly readApi?: string; readonly ops: string };
  stop(): Promise<void>;
}

/** Event-store head position minus each `projection`'s checkpoint (gauge). */
export const PROJECTION_LAG_EVENTS = 'couponkill_projection_lag_events';
/** Event-store head position minus the checkpoint of each `partition` of each `projection` (gauge). */
export const PROJECTION_PARTITION_LAG_EVENTS = 'couponkill_projection_partition_lag_events';
/** Events the live generation of each `projection` set aside (gauge; the catalog table has the old name). */
export const PROJECTION_DEAD_LETTERS = 'couponkill_projection_dead_letters';

/**
 * Gauges per read model, read from one lag report per scrape (its computation is shared: see ProjectionLag). While
 * the report cannot be made (a read shard or the event store is down) the lag series are left out of the scrape
 * rather than failing it: /metrics must still show the breakers and everything else then.
 */
const lagGauges = (container: Container): void => {
  const lag = container.get(ProjectionLag);
  const projections = async (gauge: Gauge): Promise<[string, LagReport['projections'][string]][]> => {
    gauge.reset();
    return Object.entries((await lag.report().catch(() => null))?.projections ?? {});
  };
  const gauge = (name: string, help: string, value: (entry: LagReport['projections'][string]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['projection'],
      registers: [container.get(TOKENS.Metrics)],
      async collect() {
        for (const [projection, entry] of await projections(this)) this.set({ projection }, value(entry));
      },
    });
  gauge(PROJECTION_LAG_EVENTS, 'Event-store head position minus the projection checkpoint', (e) => e.lag);
  new Gauge({
    name: PROJECTION_PARTITION_LAG_EVENTS,
    help: "Event-store head position minus the checkpoint of each partition of the projection's stream",
    labelNames: ['projection', 'partition'],
    registers: [container.get(TOKENS.Metrics)],
    async collect() {
      for (const [projection, entry] of await projections(this))
        for (const [partition, { lag: behind }] of Object.entries(entry.partitions))
          this.set({ projection, partition }, behind);
    },
  });
  gauge(
    PROJECTION_DEAD_LETTERS,
    'Events the live generation of each read model set aside because it could not apply them',
    (e) => e.deadLetters,
  );
};

/**
 * Readiness: not shutting down, and each port the process depends on answers its own ping. `shuttingDown` turns true
 * on SIGTERM, before any listener closes, so load balancers stop routing here while this process still serves.
 */
const readinessOf = (
  container: Container,
  readSide: boolean,
  shuttingDown: () => boolean,
): ReadinessCheck[] => {
  const store = container.get(TOKENS.EventStore);
  const gate = container.get(TOKENS.StockGate);
  const checks: ReadinessCheck[] = [
    {
      name: 'shutdown',
      check: () =>
        shuttingDown() ? Promise.reject(new Error('shutting down: SIGTERM received')) : Promise.resolve(),
    },
    { name: 'redis', check: () => gate.ping() },
    { name: 'eventStore', check: () => store.ping() },
  ];
  if (readSide) {
    const shards = container.get(TOKENS.ReadShards);
    checks.push({ name: 'readShards', check: () => shards.ping() });
  }
  return checks;
};

/**
 * One process, any set of roles (write-api, read-api, relay, projectors), one container, one ops listener.
 * `all-in-one` is every role.
 */
export const startRoles = async (
  config: Config,
  roles: Roles,
  role: ProcessRole,
  live: LiveConfig | null = null,
): Promise<RunningProcess> => {
  const container = createContainer(config, role);
  const logger = container.get(TOKENS.Logger);
  if (live) applyLiveConfig(live, container);
  const backlog = config.listenBacklog ?? undefined;
  const readSide =
    roles.readApi !== undefined ||
    roles.relay === true ||
    roles.firer === true ||
    (roles.projectors?.length ?? 0) > 0;
  await openWriteSide(container);
  if (readSide) {
    await openReadSide(container);
    lagGauges(container);
  }
  const stops: (() => Promise<void>)[] = [];
  let shuttingDown = false;
  const readiness = readinessOf(container, readSide, () => shuttingDown);
  const urls: { writeApi?: string; readApi?: string } = {};

  if (readSide && config.bus.kind === 'rocketmq')
    live?.onChange(
      'rocketmq endpoints',
      async (next) => {
        const wanted = next.bus.rocketmq;
        const bus = container.get(TOKENS.Bus);
        if (bus instanceof RocketMqBus) await bus.reconnect(wanted.endpoints, wanted.credentials);
      },
      {
        changed: (next, previous) =>
          next.bus.rocketmq.endpoints !== previous.bus.rocketmq.endpoints ||
          JSON.stringify(next.bus.rocketmq.credentials) !== JSON.stringify(previous.bus.rocketmq.credentials),
      },
    );
  if (roles.relay) {
    const relay = container.get(Relay);
    relay.start();
    stops.push(() => relay.stop());
  }
  const projectorOf = container.get<ProjectorFactory>(ProjectorFactory);
  const projectors: ReturnType<ProjectorFactory>[] = [];
  for (const name of roles.projectors ?? []) {
    const projector = projectorOf(name);
    await projector.start();
    projectors.push(projector);
    stops.push(() => projector.stop());
  }
  if (projectors.length > 0)
    live?.onChange('projector batch size', (next) => {
      for (const projector of projectors) projector.setBatchSize(next.projector.batchSize);
    });
  // The order expiry process runs beside the orders projector, whose read model is its index of due orders; one
  // process of the group sweeps at a time (README, "Order lifecycle").
  if (roles.projectors?.includes('orders')) {
    const expiry = container.get(OrderExpiry);
    await expiry.start();
    stops.push(() => expiry.stop());
  }
  // The webhook goes with the notifications projector: any number of them, one delivering at a time (a lease).
  if (config.notifications.webhook && roles.projectors?.includes('notifications')) {
    const dispatcher = container.get(NotificationDispatcher);
    dispatcher.start();
    stops.push(() => dispatcher.stop());
  }
  if (roles.firer) {
    const firer = container.get(ReservationFirer);
    await firer.start();
    stops.push(() => firer.stop());
  }
  // The public listeners: drained, then closed, before the roles behind them stop.
  const publicListeners: Listening[] = [];
  const closePublic: (() => Promise<void>)[] = [];
  if (roles.writeApi !== undefined) {
    const served = await serveWriteApi(container, { port: roles.writeApi, host: config.host, backlog }, live);
    urls.writeApi = served.url;
    publicListeners.push(served.listening);
    closePublic.push(() => served.stop());
  }
  if (roles.readApi !== undefined) {
    const app = createReadApi({
      coupons: container.get(CouponsQueries),
      orders: container.get(OrdersQueries),
      stats: container.get(StatsQueries),
      notifications: container.get(NotificationsQueries),
      notificationFeed: container.get(NotificationFeed),
      streamTickets: container.get(StreamTickets),
      stream: { heartbeatMs: config.notifications.stream.heartbeatMs },
      reservations: container.get(ReservationsQueries),
      lag: container.get(ProjectionLag),
      tokens: container.get(JwtTokens),
      registry: container.get(TOKENS.Metrics),
      logger,
      buyerLimit: liveReadLimit(config, container.get(TOKENS.Metrics), live),
      web: {
        ...container.get(WEB_APP_SETTINGS),
        ...(roles.webRoot === undefined ? {} : { root: roles.webRoot }),
      },
    });
    live?.onChange('read-your-writes wait', (next) => {
      container.get(LiveReadModels).setWaitMs(next.read.waitMs);
    });
    const listening = await listen(app, { port: roles.readApi, host: config.host, backlog });
    publicListeners.push(listening);
    // Open notification streams would hold the listener open until its drain period: they end first.
    closePublic.push(
      () => container.get(NotificationFeed).stop(),
      () => listening.close(),
    );
    urls.readApi = listening.url;
    logger.info({ url: listening.url }, 'read-api listening');
  }
  const ops = await listen(
    createOpsApp({
      readiness,
      breakers: container.get(CircuitBreakers),
      registry: container.get(TOKENS.Metrics),
      lag: readSide ? container.get(ProjectionLag) : null,
      logger,
      legacyMetricNames: config.metrics.legacyNames,
      configStatus: live ? () => live.status() : null,
    }),
    { port: roles.opsPort ?? config.ops.portFor(role), host: config.ops.host, backlog },
  );
  logger.info({ url: ops.url }, 'ops listener (/healthz, /readyz, /metrics) listening');

  let stopping: Promise<void> | undefined;
  return {
    container,
    urls: { ...urls, ops: ops.url },
    // Kubernetes' pod termination (README, "Deploying"): readiness fails first and the public listeners keep serving
    // for the shutdown delay, then close; the roles and stores stop; the ops listener closes last, so /readyz answers
    // 503 (never a refused connection) throughout.
    stop: () =>
      (stopping ??= (async () => {
        shuttingDown = true;
        await live?.close();
        for (const listening of publicListeners) listening.drain();
        if (config.shutdownDelayMs > 0) {
          logger.info({ delayMs: config.shutdownDelayMs }, 'shutting down: not ready, still serving');
          await sleep(config.shutdownDelayMs);
        }
        for (const close of closePublic) await close();
        for (const stop of stops.reverse()) await stop();
        if (readSide) await closeReadSide(container);
        await closeWriteSide(container);
        await ops.close();
        logger.info('stopped');
        logger.flush();
      })()),
  };
};

export interface RunningWriteApi {
  readonly url: string;
  /** The ops listener: /healthz, /readyz, /metrics. */
  readonly opsUrl: string;
  readonly container: Container;
  stop(): Promise<void>;
}

/** The write-api process on its own: the write side only, its public port and its ops listener. */
export const startWriteApi = async (
  config: Config,
  port = config.writeApiPort,
  opsPort?: number,
  live: LiveConfig | null = null,
): Promise<RunningWriteApi> => {
  const running = await startRoles(
    config,
    { writeApi: port, ...(opsPort === undefined ? {} : { opsPort }) },
    'write-api',
    live,
  );
  return {
    url: running.urls.writeApi ?? '',
    opsUrl: running.urls.ops,
    container: running.container,
    stop: () => running.stop(),
  };
};
