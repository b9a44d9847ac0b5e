import type { Container } from 'inversify';
import { CouponCommands } from '../commands/coupon-commands';
import { GateRebuild } from '../commands/gate-rebuild';
import { OrderCommands } from '../commands/order-commands';
import { ReservationReconciler } from '../commands/reservation-reconciler';
import { SeckillCommand } from '../commands/seckill-command';
import { UserCommands } from '../commands/user-commands';
import { systemContext } from '../commands/command-context';
import { JwtTokens } from '../infra/auth/jwt-tokens';
import type { Config } from '../infra/config/config';
import { createContainer } from '../bin/composition-root';
import { createWriteApiHandler } from './app';
import { listen } from '../infra/http/listen';
import { TOKENS } from './write-side-bindings';
import { closeWriteSide, openWriteSide } from './write-side-lifecycle';

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
      .get(UserCommands)
      .ensure(config.admin.username, config.admin.password, 'admin', systemContext('bootstrap-admin'));
  }
  const reconciler = container.get(ReservationReconciler);
  reconciler.start();
  const store = container.get(TOKENS.EventStore);
  const handler = createWriteApiHandler({
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
