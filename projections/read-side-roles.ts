import express from 'express';
import type { Container } from 'inversify';
import { Gauge } from 'prom-client';
import type { Config } from '../infra/config/config';
import { listen, type Listening } from '../infra/http/listen';
import { MySqlReadCatalog } from '../infra/mysql/mysql-read-catalog';
import { MySqlReadShards } from '../infra/mysql/mysql-read-shards';
import { createReadApi } from '../read-api/app';
import { createContainer } from '../bin/composition-root';
import { opsRoutes } from '../write-api/routes/ops-routes';
import { JwtTokens } from '../infra/auth/jwt-tokens';
import { serveWriteApi } from '../write-api/write-api-process';
import { TOKENS } from '../write-api/write-side-bindings';
import { closeWriteSide, openWriteSide } from '../write-api/write-side-lifecycle';
import type { ProjectionName } from './projection';
import { ProjectionLag } from './projection-lag';
import { ProjectionWriter } from './projection-writer';
import { PROJECTIONS } from './projections';
import { Projector } from './projector';
import { ReadQueries } from './read-queries';
import { closeReadSide, openReadSide, READ_TOKENS } from './read-side-bindings';
import { Relay } from './relay';

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
  const store = container.get(TOKENS.EventStore);
  const readiness = [
    { name: 'eventStore', check: () => store.ping() },
    {
      name: 'redis',
      check: async () => {
        await container.get(TOKENS.Redis).ping();
      },
    },
    {
      name: 'readShard0',
      check: async () => {
        await container.get(MySqlReadShards).query(0, 'SELECT 1');
      },
    },
  ];
  lagGauge(container);

  if (roles.relay) {
    const relay = container.get(Relay);
    relay.start();
    stops.push(() => relay.stop());
  }
  for (const name of roles.projectors ?? []) {
    const projector = new Projector(
      PROJECTIONS[name],
      container.get(READ_TOKENS.Bus),
      container.get(MySqlReadCatalog),
      container.get(MySqlReadShards),
      container.get(ProjectionWriter),
      logger,
      {
        consumerName: config.projector.consumerName,
        batchSize: config.projector.batchSize,
        waitMs: 500,
        initialShards: config.read.shards,
      },
    );
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
      queries: container.get(ReadQueries),
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
