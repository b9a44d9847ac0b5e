import express from 'express';
import type { Container } from 'inversify';
import { Gauge } from 'prom-client';
import { JwtTokens } from '../infra/auth/jwt-tokens';
import type { Config } from '../infra/config/config';
import { listen, type Listening } from '../infra/http/listen';
import { opsRoutes, type ReadinessCheck } from '../infra/http/ops-routes';
import { CouponsQueries } from '../projections/coupons/coupons-queries';
import { OrdersQueries } from '../projections/orders/orders-queries';
import type { ProjectionName } from '../projections/projection';
import { ProjectionLag } from '../projections/projection-lag';
import { Relay } from '../projections/relay';
import { StatsQueries } from '../projections/stats/stats-queries';
import { createReadApi } from '../read-api/app';
import { ProjectorFactory } from './bindings/read-side';
import { createContainer } from './container';
import { closeReadSide, closeWriteSide, openReadSide, openWriteSide } from './lifecycle';
import { serveWriteApi } from './roles/write-api';
import { TOKENS } from './tokens';

export interface Roles {
  readonly writeApi?: number;
  readonly readApi?: number;
  readonly relay?: boolean;
  readonly projectors?: readonly ProjectionName[];
  /** Port for /healthz, /readyz and /metrics when no API is served. */
  readonly opsPort?: number;
}

export interface RunningProcess {
  readonly container: Container;
  readonly urls: { readonly writeApi?: string; readonly readApi?: string; readonly ops?: string };
  stop(): Promise<void>;
}

const lagGauge = (container: Container): void => {
  const lag = container.get(ProjectionLag);
  new Gauge({
    name: 'projection_lag_events',
    help: 'Event-store head position minus the projection checkpoint',
    labelNames: ['projection'],
    registers: [container.get(TOKENS.Metrics)],
    async collect() {
      const report = await lag.report();
      for (const [projection, entry] of Object.entries(report.projections))
        this.set({ projection }, entry.lag);
    },
  });
};

/** Readiness of a read-side process: each port it depends on answers its own ping. */
const readSideReadiness = (container: Container): ReadinessCheck[] => {
  const store = container.get(TOKENS.EventStore);
  const gate = container.get(TOKENS.StockGate);
  const shards = container.get(TOKENS.ReadShards);
  return [
    { name: 'eventStore', check: () => store.ping() },
    { name: 'redis', check: () => gate.ping() },
    { name: 'readShards', check: () => shards.ping() },
  ];
};

/**
 * One process, any set of roles (write-api, read-api, relay, projectors), one container. `all-in-one` is every role.
 */
export const startRoles = async (
  config: Config,
  roles: Roles,
  processName: string,
): Promise<RunningProcess> => {
  const container = createContainer(config, processName);
  const logger = container.get(TOKENS.Logger);
  await openWriteSide(container);
  await openReadSide(container);
  const stops: (() => Promise<void>)[] = [];
  const urls: { writeApi?: string; readApi?: string; ops?: string } = {};
  const readiness = readSideReadiness(container);
  lagGauge(container);

  if (roles.relay) {
    const relay = container.get(Relay);
    relay.start();
    stops.push(() => relay.stop());
  }
  const projectorOf = container.get<ProjectorFactory>(ProjectorFactory);
  for (const name of roles.projectors ?? []) {
    const projector = projectorOf(name);
    await projector.start();
    stops.push(() => projector.stop());
  }
  if (roles.writeApi !== undefined) {
    const served = await serveWriteApi(container, roles.writeApi);
    urls.writeApi = served.url;
    stops.push(() => served.stop());
  }
  let listening: Listening | undefined;
  if (roles.readApi !== undefined) {
    const app = createReadApi({
      coupons: container.get(CouponsQueries),
      orders: container.get(OrdersQueries),
      stats: container.get(StatsQueries),
      lag: container.get(ProjectionLag),
      tokens: container.get(JwtTokens),
      registry: container.get(TOKENS.Metrics),
      logger,
      readiness,
    });
    listening = await listen(app, roles.readApi, config.host);
    urls.readApi = listening.url;
    logger.info({ url: listening.url }, 'read-api listening');
  } else if (roles.opsPort !== undefined) {
    const app = express();
    app.use(opsRoutes(readiness, container.get(TOKENS.Metrics)));
    app.get('/api/v1/projections/lag', async (_req, res) => {
      res.json(await container.get(ProjectionLag).report());
    });
    listening = await listen(app, roles.opsPort, config.host);
    urls.ops = listening.url;
  }
  const server = listening;
  if (server) stops.unshift(() => server.close());

  let stopping: Promise<void> | undefined;
  return {
    container,
    urls,
    stop: () =>
      (stopping ??= (async () => {
        for (const stop of stops.reverse()) await stop();
        await closeReadSide(container);
        await closeWriteSide(container);
        logger.info('stopped');
        logger.flush();
      })()),
  };
};
