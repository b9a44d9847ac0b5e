import type { RequestListener } from 'node:http';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CouponCommands } from '../commands/coupon-commands';
import type { OrderCommands } from '../commands/order-commands';
import type { SeckillCommand } from '../commands/seckill-command';
import type { UserCommands } from '../commands/user-commands';
import type { JwtTokens } from '../infra/auth/jwt-tokens';
import { errorHandler, notFound } from './http/error-handler';
import { httpMetrics } from './http/http-metrics';
import { jsonBody } from './http/json-body';
import { requestId } from './http/request-context';
import { couponRoutes } from './routes/coupon-routes';
import { opsRoutes, type ReadinessCheck } from './routes/ops-routes';
import { orderRoutes } from './routes/order-routes';
import { seckillRoutes } from './routes/seckill-routes';
import { userRoutes } from './routes/user-routes';
import { seckillFastPath } from './seckill-fast-path';

export interface WriteApiDependencies {
  readonly coupons: CouponCommands;
  readonly orders: OrderCommands;
  readonly seckill: SeckillCommand;
  readonly users: UserCommands;
  readonly tokens: JwtTokens;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly readiness: readonly ReadinessCheck[];
  readonly bodyLimitBytes: number;
}

export const createWriteApi = (deps: WriteApiDependencies): Express => {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId, httpMetrics(deps.registry));
  app.use(opsRoutes(deps.readiness, deps.registry));
  app.use(jsonBody(deps.bodyLimitBytes));
  app.use('/api/v1', userRoutes(deps.users, deps.tokens));
  app.use('/api/v1/coupons', couponRoutes(deps.coupons, deps.tokens));
  app.use('/api/v1/seckill', seckillRoutes(deps.seckill, deps.tokens, deps.registry));
  app.use('/api/v1/orders', orderRoutes(deps.orders, deps.tokens));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
};

/** The write API as the server runs it: the lean seckill path first, express for everything it leaves. */
export const createWriteApiHandler = (deps: WriteApiDependencies): RequestListener => {
  const app = createWriteApi(deps);
  const fastPath = seckillFastPath(deps);
  return (req, res) => {
    if (!fastPath(req, res)) void app(req, res);
  };
};
