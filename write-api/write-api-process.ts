import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Container } from 'inversify';
import { CouponCommands } from '../commands/coupon-commands';
import { GateRebuild } from '../commands/gate-rebuild';
import { OrderCommands } from '../commands/order-commands';
import { ReservationReconciler } from '../commands/reservation-reconciler';
import { SeckillCommand } from '../commands/seckill-command';
import { UserCommands } from '../commands/user-commands';
import { systemContext } from '../commands/command-context';
import { JwtTokens } from '../infra/auth/jwt-tokens';
import type { Config } from '../infra/config/config';
import { createLogger } from '../infra/logging/logger';
import { createMetricsRegistry } from '../infra/metrics/metrics-registry';
import { createWriteApi } from './app';
import { bindWriteSide, TOKENS } from './write-side-bindings';
import { closeWriteSide, openWriteSide } from './write-side-lifecycle';

const DRAIN_MS = 5000;

export interface RunningWriteApi {
  readonly url: string;
  readonly container: Container;
  stop(): Promise<void>;
}

/** The write-api's composition root: builds the container, prepares the gate, serves HTTP until stopped. */
export const startWriteApi = async (config: Config, port = config.writeApiPort): Promise<RunningWriteApi> => {
  const container = new Container();
  const logger = createLogger(config.logLevel, 'write-api');
  container.bind(TOKENS.Config).toConstantValue(config);
  container.bind(TOKENS.Logger).toConstantValue(logger);
  container.bind(TOKENS.Metrics).toConstantValue(createMetricsRegistry('write-api'));
  bindWriteSide(container);

  await openWriteSide(container);
  const gate = container.get(TOKENS.StockGate);
  if (!(await gate.isInitialised())) {
    const report = await container.get(GateRebuild).run();
    logger.info(report, 'stock gate was empty: rebuilt it from the event store');
  }
  if (config.admin) {
    await container
      .get(UserCommands)
      .ensure(config.admin.username, config.admin.password, 'admin', systemContext('bootstrap-admin'));
  }
  const reconciler = container.get(ReservationReconciler);
  reconciler.start();

  const store = container.get(TOKENS.EventStore);
  const app = createWriteApi({
    coupons: container.get(CouponCommands),
    orders: container.get(OrderCommands),
    seckill: container.get(SeckillCommand),
    users: container.get(UserCommands),
    tokens: container.get(JwtTokens),
    registry: container.get(TOKENS.Metrics),
    logger,
    readiness: [
      { name: 'redis', check: () => gate.ping() },
      { name: 'eventStore', check: () => store.ping() },
    ],
    bodyLimitBytes: config.bodyLimitBytes,
  });
  const server = await listen(app.listen.bind(app), port, config.host);
  server.keepAliveTimeout = 65_000;
  const { port: boundPort } = server.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${boundPort}`;
  logger.info({ url }, 'write-api listening');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Finish requests in flight, but do not wait on idle keep-alive clients past the drain period.
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const forced = setTimeout(() => server.closeAllConnections(), DRAIN_MS).unref();
      await drained;
      clearTimeout(forced);
      await reconciler.stop();
      await closeWriteSide(container);
      logger.info('write-api stopped');
      logger.flush();
    })());
  return { url, container, stop };
};

const listen = (
  listenFn: (port: number, host: string, done: () => void) => Server,
  port: number,
  host: string,
): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = listenFn(port, host, () => resolve(server));
    server.once('error', reject);
  });
