import express, { Router, type Express } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { JwtTokens } from '../infra/auth/jwt-tokens';
import { authenticate } from '../infra/http/auth';
import { errorHandler, notFound } from '../infra/http/error-handler';
import { httpMetrics } from '../infra/http/http-metrics';
import { opsRoutes, type ReadinessCheck } from '../infra/http/ops-routes';
import { requestId } from '../infra/http/request-context';
import type { CouponsQueries } from '../projections/coupons/coupons-queries';
import type { OrdersQueries } from '../projections/orders/orders-queries';
import type { ProjectionLag } from '../projections/projection-lag';
import type { StatsQueries } from '../projections/stats/stats-queries';
import { toReadApiError } from './error-mapping';
import { couponRoutes } from './routes/coupon-routes';
import { orderRoutes } from './routes/order-routes';
import { statsRoutes } from './routes/stats-routes';

export interface ReadApiDependencies {
  readonly coupons: CouponsQueries;
  readonly orders: OrdersQueries;
  readonly stats: StatsQueries;
  readonly lag: ProjectionLag;
  readonly tokens: JwtTokens;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly readiness: readonly ReadinessCheck[];
}

export const createReadApi = (deps: ReadApiDependencies): Express => {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId, httpMetrics(deps.registry));
  app.use(opsRoutes(deps.readiness, deps.registry));
  app.get('/api/v1/projections/lag', async (_req, res) => {
    res.json(await deps.lag.report());
  });

  const api = Router();
  api.use(authenticate(deps.tokens));
  api.use(couponRoutes(deps.coupons), orderRoutes(deps.orders), statsRoutes(deps.stats));

  app.use('/api/v1', api);
  app.use(notFound);
  app.use(errorHandler(deps.logger, toReadApiError));
  return app;
};
