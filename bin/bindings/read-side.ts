import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Container, ServiceIdentifier } from 'inversify';
import { createMySqlPool } from '../../infra/mysql/mysql-pool';
import { MySqlReadCatalog } from '../../infra/mysql/mysql-read-catalog';
import { MySqlPartitionLeases } from '../../infra/mysql/mysql-partition-leases';
import { MySqlReadShards, shardMap } from '../../infra/mysql/mysql-read-shards';
import { MySqlRelayCheckpoint } from '../../infra/mysql/mysql-relay-checkpoint';
import { RedisStreamsBus } from '../../infra/redis/redis-streams-bus';
import { BreakingReadShards } from '../../infra/resilience/breaking-read-shards';
import { CircuitBreakers } from '../../infra/resilience/circuit-breakers';
import { RocketMqBus } from '../../infra/rocketmq/rocketmq-bus';
import { CouponsQueries } from '../../projections/coupons/coupons-queries';
import { StreamTickets } from '../../infra/auth/stream-tickets';
import { MySqlNotificationDeliveries } from '../../infra/mysql/mysql-notification-deliveries';
import { WebhookChannel } from '../../infra/webhook/webhook-channel';
import { packageRoot } from '../../infra/package-version';
import type { WebAppSettings } from '../../read-api/web-app';
import { NotificationDispatcher } from '../../projections/notifications/notification-dispatcher';
import { NotificationFeed } from '../../projections/notifications/notification-feed';
import { NotificationLog, NotificationsQueries } from '../../projections/notifications/notifications-queries';
import { Counter, Gauge } from 'prom-client';
import { CheckpointWatch } from '../../projections/checkpoint-watch';
import { LiveGenerations } from '../../projections/live-generations';
import { LiveReadModels } from '../../projections/live-read-models';
import { OrderHandlers } from '../../commands/order-handlers';
import { OrderExpiry } from '../../projections/order-expiry';
import { DueOrders } from '../../projections/orders/due-orders';
import { OrdersQueries } from '../../projections/orders/orders-queries';
import { PROJECTION_NAMES, type ProjectionName } from '../../projections/projection';
import { ProjectionLag } from '../../projections/projection-lag';
import { ProjectionWriter } from '../../projections/projection-writer';
import { PROJECTIONS } from '../../projections/projections';
import { Projector } from '../../projections/projector';
import { Relay } from '../../projections/relay';
import { Replay } from '../../projections/replay';
import { StatsQueries } from '../../projections/stats/stats-queries';
import { ReservationFirer } from '../../projections/reservations/reservation-firer';
import { ReservationQueue, ReservationsQueries } from '../../projections/reservations/reservations-queries';
import { ReservationFiring } from '../../commands/reservation-firing';
import { TOKENS } from '../tokens';
import { singletons } from './singletons';

/** Event-store head position minus the relay's published position (gauge; only in processes running the relay). */
export const RELAY_LAG_EVENTS = 'couponkill_relay_lag_events';
/** Reads waiting for their minPosition now (gauge). */
export const READ_YOUR_WRITES_WAITERS = 'couponkill_read_your_writes_waiters';
/** Checkpoint queries made for reads waiting on a minPosition (counter). */
export const READ_YOUR_WRITES_CHECKPOINT_READS_TOTAL = 'couponkill_read_your_writes_checkpoint_reads_total';
/** What the order expiry sweeps did, by `outcome` (counter). */
export const ORDER_EXPIRY_DECISIONS_TOTAL = 'couponkill_order_expiry_decisions_total';
/** Notification streams (SSE) open on this replica (gauge). */
export const NOTIFICATION_STREAMS_OPEN = 'couponkill_notification_streams_open';
/** Webhook deliveries by `outcome` (delivered, dead_letter) (counter). */
export const NOTIFICATION_DELIVERIES_TOTAL = 'couponkill_notification_deliveries_total';
/** Reservations the firer looked at, by `outcome` (counter). */
export const RESERVATIONS_FIRED_TOTAL = 'couponkill_reservations_fired_total';
/** Events a `projection` set aside because it could not apply them (counter). */
export const PROJECTION_DEAD_LETTERS_TOTAL = 'couponkill_projection_dead_letters_total';
/** Partitions of each `projection`'s stream this replica consumes now (gauge). */
export const PROJECTOR_OWNED_PARTITIONS = 'couponkill_projector_owned_partitions';

/** The relay trims what every projector acknowledged from the Redis streams this often. */
const TRIM_EVERY_MS = 10_000;

/** Makes the projector of one read model (a process may run several). */
export type ProjectorFactory = (projection: ProjectionName) => Projector;
export const ProjectorFactory = Symbol.for('couponkill.ProjectorFactory');

/** How the read API serves the web app: from `<package root>/web/dist`, where `vite build` writes it. */
export const WEB_APP_SETTINGS: ServiceIdentifier<WebAppSettings> = Symbol.for('couponkill.WebAppSettings');

/** The read side's graph on top of the write side's adapters (event store, Redis, config, logger, metrics). */
export const bindReadSide = (container: Container): void => {
  const single = singletons(container);
  single(TOKENS.Bus, (get) => {
    const { bus, redis } = get(TOKENS.Config);
    return bus.kind === 'rocketmq'
      ? new RocketMqBus(
          {
            ...bus.rocketmq,
            partitions: get(TOKENS.Config).projector.partitions,
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
          partitions: get(TOKENS.Config).projector.partitions,
          trimEveryMs: TRIM_EVERY_MS,
        });
  });
  single(MySqlReadShards, (get) => {
    const { read } = get(TOKENS.Config);
    return new MySqlReadShards(shardMap(read.databaseUrl, read.shardUrls), 8);
  });
  single(TOKENS.ReadShards, (get) => {
    const breakers = get(CircuitBreakers);
    const shards = get(MySqlReadShards);
    return new BreakingReadShards(shards, (shard) =>
      breakers.of(`read shard ${shard}`, () => shards.query(shard, 'SELECT 1')),
    );
  });
  single(TOKENS.CatalogPool, (get) =>
    createMySqlPool({
      url: get(TOKENS.Config).read.databaseUrl,
      connectionLimit: 4,
      lockWaitTimeoutSeconds: 10,
    }),
  );
  single(MySqlReadCatalog, (get) => new MySqlReadCatalog(get(TOKENS.CatalogPool)));
  single(TOKENS.ReadCatalog, (get) => get(MySqlReadCatalog));
  // In the read database: it exists whichever event store is configured.
  single(MySqlRelayCheckpoint, (get) => new MySqlRelayCheckpoint(get(TOKENS.CatalogPool), 'default'));
  single(TOKENS.RelayCheckpoint, (get) => get(MySqlRelayCheckpoint));
  single(TOKENS.DeadLetters, (get) => get(MySqlReadCatalog));
  single(MySqlPartitionLeases, (get) => new MySqlPartitionLeases(get(TOKENS.CatalogPool)));
  single(TOKENS.PartitionLeases, (get) => get(MySqlPartitionLeases));
  single(ProjectionWriter, (get) => new ProjectionWriter(get(TOKENS.ReadShards), get(TOKENS.DeadLetters)));
  single(LiveGenerations, (get) => new LiveGenerations(get(TOKENS.ReadCatalog)));
  single(CheckpointWatch, (get) => {
    const watch = new CheckpointWatch(get(TOKENS.ReadShards), {
      pollMs: 10,
      maxWaiters: get(TOKENS.Config).read.maxWaiters,
    });
    new Gauge({
      name: READ_YOUR_WRITES_WAITERS,
      help: 'Reads waiting for their minPosition right now (bounded by COUPONKILL_READ_MAX_WAITERS)',
      registers: [get(TOKENS.Metrics)],
      collect() {
        this.set(watch.waiters);
      },
    });
    new Counter({
      name: READ_YOUR_WRITES_CHECKPOINT_READS_TOTAL,
      help: 'Checkpoint queries made for reads waiting on a minPosition (one per shard per poll, shared by waiters)',
      registers: [get(TOKENS.Metrics)],
      collect() {
        this.reset();
        this.inc(watch.checkpointReads);
      },
    });
    return watch;
  });
  single(
    LiveReadModels,
    (get) =>
      new LiveReadModels(
        get(TOKENS.ReadShards),
        get(LiveGenerations),
        get(CheckpointWatch),
        get(TOKENS.Config).read.waitMs,
      ),
  );
  single(OrdersQueries, (get) => new OrdersQueries(get(LiveReadModels)));
  single(DueOrders, (get) => new DueOrders(get(LiveReadModels)));
  single(OrderExpiry, (get) => {
    const config = get(TOKENS.Config);
    const decided = new Counter({
      name: ORDER_EXPIRY_DECISIONS_TOTAL,
      help: 'Orders the expiry process expired or noticed (appended), or found with nothing to do (unchanged)',
      labelNames: ['outcome'],
      registers: [get(TOKENS.Metrics)],
    });
    const orders = get(OrderHandlers);
    return new OrderExpiry(
      get(DueOrders),
      {
        expire: (orderId) => orders.expire(orderId),
        noticeExpiry: (id, lead) => orders.noticeExpiry(id, lead),
      },
      get(TOKENS.PartitionLeases),
      get(TOKENS.Clock),
      get(TOKENS.Logger),
      {
        intervalMs: config.orderExpiry.intervalMs,
        noticeLeadMs: config.orderExpiry.noticeLeadMs,
        pageSize: 200,
        concurrency: 8,
        member: `${config.projector.consumerName}-expiry-${randomBytes(4).toString('hex')}`,
        leaseMs: config.projector.leaseMs,
        heartbeatMs: Math.max(100, Math.floor(config.projector.leaseMs / 6)),
      },
      (report) => {
        decided.inc({ outcome: 'expired' }, report.expired);
        decided.inc({ outcome: 'noticed' }, report.noticed);
        decided.inc({ outcome: 'unchanged' }, report.unchanged);
        decided.inc({ outcome: 'failed' }, report.failed);
      },
    );
  });
  single(CouponsQueries, (get) => new CouponsQueries(get(LiveReadModels)));
  single(StatsQueries, (get) => new StatsQueries(get(LiveReadModels)));
  single(NotificationsQueries, (get) => new NotificationsQueries(get(LiveReadModels)));
  single(NotificationLog, (get) => new NotificationLog(get(TOKENS.ReadShards)));
  single(NotificationFeed, (get) => {
    const { stream } = get(TOKENS.Config).notifications;
    const feed = new NotificationFeed(
      get(LiveGenerations),
      get(TOKENS.ReadShards),
      get(NotificationLog),
      get(TOKENS.Logger),
      { pollMs: stream.pollMs, maxStreams: stream.maxStreams, maxStreamsPerUser: stream.maxStreamsPerUser },
    );
    new Gauge({
      name: NOTIFICATION_STREAMS_OPEN,
      help: 'Notification streams (Server-Sent Events) open on this replica (bounded by COUPONKILL_NOTIFICATION_STREAMS_MAX)',
      registers: [get(TOKENS.Metrics)],
      collect() {
        this.set(feed.streams);
      },
    });
    return feed;
  });
  single(MySqlNotificationDeliveries, (get) => new MySqlNotificationDeliveries(get(TOKENS.CatalogPool)));
  // Only when a webhook is configured (process.ts starts it with the notifications projector).
  single(NotificationDispatcher, (get) => {
    const { notifications, projector } = get(TOKENS.Config);
    if (!notifications.webhook) throw new Error('no webhook is configured (COUPONKILL_WEBHOOK_URL)');
    const outcomes = new Counter({
      name: NOTIFICATION_DELIVERIES_TOTAL,
      help: 'Notifications delivered to the webhook, or recorded as dead letters after its last attempt',
      labelNames: ['outcome'],
      registers: [get(TOKENS.Metrics)],
    });
    return new NotificationDispatcher(
      new WebhookChannel(notifications.webhook),
      get(MySqlNotificationDeliveries),
      get(LiveGenerations),
      get(ProjectionWriter),
      get(NotificationLog),
      get(TOKENS.Logger),
      {
        owner: `${projector.consumerName}-${randomBytes(4).toString('hex')}`,
        leaseMs: Math.max(projector.leaseMs, 3000),
        pollMs: 250,
        concurrency: notifications.webhook.concurrency,
        pageSize: 200,
      },
      ({ outcome }) => outcomes.inc({ outcome }),
    );
  });
  single(WEB_APP_SETTINGS, (get) => {
    const { webApp, writeApiPort } = get(TOKENS.Config);
    return {
      root: join(packageRoot(), 'web', 'dist'),
      publicWriteApiUrl: webApp.publicWriteApiUrl,
      writeApiPort,
    };
  });
  single(StreamTickets, (get) => {
    const { jwt, notifications } = get(TOKENS.Config);
    return new StreamTickets(jwt, notifications.stream.ticketTtlSeconds);
  });
  single(ReservationsQueries, (get) => new ReservationsQueries(get(LiveReadModels)));
  single(ReservationQueue, (get) => new ReservationQueue(get(TOKENS.ReadShards), get(LiveGenerations)));
  single(ReservationFirer, (get) => {
    const { reservations, projector } = get(TOKENS.Config);
    const fired = new Counter({
      name: RESERVATIONS_FIRED_TOTAL,
      help: 'Reservations the firer looked at, by what became of them (succeeded, failed, expired, already_ended, later)',
      labelNames: ['outcome'],
      registers: [get(TOKENS.Metrics)],
    });
    return new ReservationFirer(
      get(ReservationQueue),
      get(ReservationFiring),
      get(TOKENS.EventStore),
      get(TOKENS.StockGate),
      get(TOKENS.PartitionLeases),
      get(TOKENS.Clock),
      get(TOKENS.Logger),
      {
        member: `${projector.consumerName}-firer-${randomBytes(4).toString('hex')}`,
        partitions: reservations.partitions,
        leaseMs: reservations.leaseMs,
        heartbeatMs: Math.max(100, Math.floor(reservations.leaseMs / 6)),
        pollMs: reservations.pollMs,
        retryMs: 500,
        batchSize: reservations.batchSize,
        priorityMs: reservations.priorityMs,
        sealMarginMs: reservations.sealMarginMs,
      },
      (counts) => {
        for (const [outcome, count] of Object.entries(counts)) if (count > 0) fired.inc({ outcome }, count);
      },
    );
  });
  single(
    ProjectionLag,
    (get) =>
      new ProjectionLag(
        get(TOKENS.EventStore),
        get(LiveGenerations),
        get(ProjectionWriter),
        get(TOKENS.DeadLetters),
        PROJECTION_NAMES,
      ),
  );
  single(Relay, (get) => {
    const store = get(TOKENS.EventStore);
    const relay = new Relay(
      store,
      get(TOKENS.Bus),
      get(TOKENS.RelayCheckpoint),
      PROJECTION_NAMES.map((name) => PROJECTIONS[name]),
      get(TOKENS.Logger),
      {
        batchSize: 1000,
        partitions: get(TOKENS.Config).projector.partitions,
        watermarkMs: get(TOKENS.Config).relay.watermarkMs,
      },
    );
    new Gauge({
      name: RELAY_LAG_EVENTS,
      help: 'Event-store head position minus the position the relay has published to the bus up to',
      registers: [get(TOKENS.Metrics)],
      async collect() {
        // While the store is down the last value stays: an unlabelled gauge cannot leave the scrape.
        const head = await store.headPosition().catch(() => null);
        if (head !== null) this.set(Number(head > relay.position ? head - relay.position : 0n));
      },
    });
    return relay;
  });
  single(
    Replay,
    (get) =>
      new Replay(
        get(TOKENS.EventStore),
        get(TOKENS.ReadCatalog),
        get(TOKENS.ReadShards),
        get(ProjectionWriter),
      ),
  );
  single<ProjectorFactory>(ProjectorFactory, (get) => {
    const config = get(TOKENS.Config);
    const deadLetters = new Counter({
      name: PROJECTION_DEAD_LETTERS_TOTAL,
      help: 'Events a projection could not apply and set aside (logged with their event id; see the lag JSON)',
      labelNames: ['projection'],
      registers: [get(TOKENS.Metrics)],
    });
    const { projector } = config;
    // One member name per process: a restarted replica is a new member, never mistaken for its former self.
    const member = `${projector.consumerName}-${randomBytes(4).toString('hex')}`;
    const running = new Map<ProjectionName, Projector>();
    new Gauge({
      name: PROJECTOR_OWNED_PARTITIONS,
      help: "Partitions of each projection's stream this replica consumes now (they move when replicas join or leave)",
      labelNames: ['projection'],
      registers: [get(TOKENS.Metrics)],
      collect() {
        for (const [projection, one] of running) this.set({ projection }, one.partitions.length);
      },
    });
    return (name) => {
      const made = new Projector(
        PROJECTIONS[name],
        get(TOKENS.Bus),
        get(TOKENS.ReadCatalog),
        get(TOKENS.ReadShards),
        get(ProjectionWriter),
        get(TOKENS.PartitionLeases),
        get(TOKENS.Logger),
        {
          member,
          batchSize: projector.batchSize,
          waitMs: 500,
          initialShards: config.read.shards,
          partitions: projector.partitions,
          leaseMs: projector.leaseMs,
          heartbeatMs: Math.max(100, Math.floor(projector.leaseMs / 6)),
        },
        () => deadLetters.inc({ projection: name }),
      );
      running.set(name, made);
      return made;
    };
  });
};
