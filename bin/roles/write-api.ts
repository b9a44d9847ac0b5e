import type { Container } from 'inversify';
import { systemContext } from '../../commands/command-context';
import { CouponHandlers } from '../../commands/coupon-handlers';
import { GateRebuild } from '../../commands/gate-rebuild';
import { OrderHandlers } from '../../commands/order-handlers';
import { ReservationReconciler } from '../../commands/reservation-reconciler';
import { SeckillHandler } from '../../commands/seckill-handler';
import { UserHandlers } from '../../commands/user-handlers';
import { JwtTokens } from '../../infra/auth/jwt-tokens';
import type { Config } from '../../infra/config/config';
import { listen } from '../../infra/http/listen';
import { createWriteApiHandler } from '../../write-api/app';
import { createContainer } from '../container';
import { closeWriteSide, openWriteSide } from '../lifecycle';
import { TOKENS } from '../tokens';

export interface RunningWriteApi {
  readonly url: string;
  readonly container: Container;
  stop(): Promise<void>;
}

/** Serves the write API from an opened container: prepares the gate, starts the reconciler, listens. */
export const serveWriteApi = async (
  container: Container,
  port: number,
): Promise<{ url: string; stop(): Promise<void> }> => {
  const config = container.get(TOKENS.Config);
  const logger = container.get(TOKENS.Logger);
  const gate = container.get(TOKENS.StockGate);
  if (!(await gate.isInitialised())) {
    const report = await container.get(GateRebuild).run();
    logger.info(report, 'stock gate was empty: rebuilt it from the event store');
  }
  if (config.admin) {
    await container
      .get(UserHandlers)
      .ensure(config.admin.username, config.admin.password, 'admin', systemContext('bootstrap-admin'));
  }
  const reconciler = container.get(ReservationReconciler);
  reconciler.start();
  const store = container.get(TOKENS.EventStore);
  const handler = createWriteApiHandler({
    coupons: container.get(CouponHandlers),
    orders: container.get(OrderHandlers),
    seckill: container.get(SeckillHandler),
    users: container.get(UserHandlers),
    tokens: container.get(JwtTokens),
    registry: container.get(TOKENS.Metrics),
    logger,
    readiness: [
      { name: 'redis', check: () => gate.ping() },
      { name: 'eventStore', check: () => store.ping() },
    ],
    bodyLimitBytes: config.bodyLimitBytes,
  });
  const server = await listen(handler, port, config.host);
  logger.info({ url: server.url }, 'write-api listening');
  return {
    url: server.url,
    stop: async () => {
      await server.close();
      await reconciler.stop();
    },
  };
};

/** The write-api process on its own. */
export const startWriteApi = async (config: Config, port = config.writeApiPort): Promise<RunningWriteApi> => {
  const container = createContainer(config, 'write-api');
  await openWriteSide(container);
  const served = await serveWriteApi(container, port);
  let stopping: Promise<void> | undefined;
  return {
    url: served.url,
    container,
    stop: () =>
      (stopping ??= (async () => {
        await served.stop();
        await closeWriteSide(container);
        container.get(TOKENS.Logger).flush();
      })()),
  };
};
