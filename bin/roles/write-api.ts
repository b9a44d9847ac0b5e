import type { Container } from 'inversify';
import { systemContext } from '../../commands/command-context';
import { CouponHandlers } from '../../commands/coupon-handlers';
import { GateRecovery } from '../../commands/gate-recovery';
import { NotificationHandlers } from '../../commands/notification-handlers';
import { OrderHandlers } from '../../commands/order-handlers';
import { ReservationHandlers } from '../../commands/reservation-handlers';
import { ReservationReconciler } from '../../commands/reservation-reconciler';
import { SeckillHandler } from '../../commands/seckill-handler';
import { UserHandlers } from '../../commands/user-handlers';
import { JwtTokens } from '../../infra/auth/jwt-tokens';
import { corsPolicy } from '../../infra/http/cors-policy';
import { RedisSaleStats } from '../../infra/redis/sale-stats';
import { listen, type Listening, type ListenOptions } from '../../infra/http/listen';
import { createWriteApiHandler } from '../../write-api/app';
import type { LiveConfig } from '../../infra/config/live-config';
import { liveSeckillAdmission } from '../live-appliers';
import { TOKENS } from '../tokens';

/**
 * Serves the write API from an opened container: prepares the gate, starts the reconciler and the sale stats' flushes,
 * listens.
 */
export const serveWriteApi = async (
  container: Container,
  listenOn: ListenOptions,
  live: LiveConfig | null = null,
): Promise<{ url: string; listening: Listening; stop(): Promise<void> }> => {
  const config = container.get(TOKENS.Config);
  const logger = container.get(TOKENS.Logger);
  const gate = container.get(TOKENS.StockGate);
  if (!(await gate.isInitialised())) {
    const report = await container.get(GateRecovery).rebuildAll();
    logger.info(report, 'stock gate was empty: rebuilt it from the event store');
  }
  if (config.admin) {
    await container
      .get(UserHandlers)
      .ensure(config.admin.username, config.admin.password, 'admin', systemContext('bootstrap-admin'));
  }
  const reconciler = container.get(ReservationReconciler);
  live?.onChange('reconciler timings', (next) => {
    reconciler.retime(next.reconciler);
  });
  reconciler.start();
  const saleStats = container.get(RedisSaleStats);
  live?.onChange('sale stats flush interval', (next) => {
    saleStats.retime(next.saleStats.flushMs);
  });
  saleStats.start();
  const handler = createWriteApiHandler({
    coupons: container.get(CouponHandlers),
    orders: container.get(OrderHandlers),
    seckill: container.get(SeckillHandler),
    reservations: container.get(ReservationHandlers),
    seckillAdmission: liveSeckillAdmission(config, container.get(TOKENS.Metrics), live),
    saleStats,
    users: container.get(UserHandlers),
    notifications: container.get(NotificationHandlers),
    tokens: container.get(JwtTokens),
    userAdmission: container.get(TOKENS.UserAdmission),
    registry: container.get(TOKENS.Metrics),
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    cors: corsPolicy(config.webApp.corsOrigins),
  });
  const server = await listen(handler, listenOn);
  logger.info({ url: server.url }, 'write-api listening');
  return {
    url: server.url,
    listening: server,
    stop: async () => {
      await server.close();
      await reconciler.stop();
      // After the listener: every answered request is counted; before Redis closes (closeWriteSide).
      await saleStats.stop();
    },
  };
};
