import type { RequestListener } from 'node:http';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CouponHandlers } from '../commands/coupon-handlers';
import type { NotificationHandlers } from '../commands/notification-handlers';
import type { OrderHandlers } from '../commands/order-handlers';
import type { ReservationHandlers } from '../commands/reservation-handlers';
import type { SaleStats } from '../commands/sale-stats-port';
import type { SeckillHandler } from '../commands/seckill-handler';
import type { UserHandlers } from '../commands/user-handlers';
import type { JwtTokens } from '../infra/auth/jwt-tokens';
import type { CorsPolicy } from '../infra/http/cors-policy';
import { errorHandler, notFound } from '../infra/http/error-handler';
import { httpMetrics } from '../infra/http/http-metrics';
import { jsonBody } from '../infra/http/json-body';
import { openApiRoute } from '../infra/http/openapi';
import { healthz } from '../infra/http/ops-routes';
import { requestId } from '../infra/http/request-context';
import { responseHeaders } from '../infra/http/response-headers';
import { exactRouting, noOptions, recordRoute } from '../infra/http/routing';
import { writeApiDocument } from './contract/openapi';
import { toWriteApiError } from './error-mapping';
import { claimRoutes } from './routes/claim-routes';
import { couponRoutes } from './routes/coupon-routes';
import { notificationRoutes } from './routes/notification-routes';
import { orderRoutes } from './routes/order-routes';
import { reservationRoutes } from './routes/reservation-routes';
import { saleStatsRoutes } from './routes/sale-stats-routes';
import { seckillRoutes } from './routes/seckill-routes';
import { userRoutes, type UserAdmission } from './routes/user-routes';
import type { SeckillAdmission } from './seckill-admission';
import { seckillAnswer, type SeckillAnswer } from './seckill-answer';
import { seckillFastPath } from './seckill-fast-path';

export interface WriteApiDependencies {
  readonly coupons: CouponHandlers;
  readonly orders: OrderHandlers;
  readonly seckill: SeckillHandler;
  readonly reservations: ReservationHandlers;
  /** Admission control of the seckill route, for both its entry points (write-api/seckill-admission.ts). */
  readonly seckillAdmission: SeckillAdmission;
  /** Per-coupon outcome counts: recorded by the seckill answer, read by the admins' sale-stats route. */
  readonly saleStats: SaleStats;
  readonly users: UserHandlers;
  readonly notifications: NotificationHandlers;
  readonly tokens: JwtTokens;
  /** What admits registrations, logins and refreshes before they cost a password hash. */
  readonly userAdmission: UserAdmission;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  /** Which origins' pages may call this API, for both entry points (infra/http/cors-policy.ts). */
  readonly cors: CorsPolicy;
}

/** The express app of the write API (exported for test/openapi.int.ts, which walks its routes). */
export const createWriteApiApp = (deps: WriteApiDependencies, answer: SeckillAnswer): Express => {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  exactRouting(app);
  // CORS before noOptions: a preflight from an allowed origin is answered 204 there; other OPTIONS stay 404.
  app.use(requestId, responseHeaders, httpMetrics(deps.registry), deps.cors.middleware, noOptions);
  // Readiness and metrics are on the ops listener (bin/ops-app.ts); liveness is cheap enough to stay public.
  app.get('/healthz', recordRoute, healthz);
  app.get('/openapi.json', recordRoute, openApiRoute(writeApiDocument()));
  app.use(jsonBody(deps.bodyLimitBytes));
  app.use('/api/v1', userRoutes(deps.users, deps.tokens, deps.userAdmission));
  app.use('/api/v1/coupons', couponRoutes(deps.coupons, deps.tokens));
  app.use('/api/v1/coupons', claimRoutes(answer, deps.tokens));
  app.use('/api/v1/seckill', seckillRoutes(answer, deps.tokens));
  app.use('/api/v1/orders', orderRoutes(deps.orders, deps.tokens));
  app.use('/api/v1/notifications', notificationRoutes(deps.notifications, deps.tokens));
  app.use('/api/v1/reservations', reservationRoutes(deps.reservations, deps.tokens));
  app.use('/api/v1/admin/coupons', saleStatsRoutes(deps.saleStats, deps.tokens));
  app.use(notFound);
  app.use(errorHandler(deps.logger, toWriteApiError));
  return app;
};

/** The write API as the server runs it: the lean seckill path first, express for everything it leaves. */
export const createWriteApiHandler = (deps: WriteApiDependencies): RequestListener => {
  const answer = seckillAnswer(
    deps.seckill,
    deps.seckillAdmission,
    deps.saleStats,
    deps.registry,
    deps.logger,
  );
  const app = createWriteApiApp(deps, answer);
  const fastPath = seckillFastPath({
    answer,
    tokens: deps.tokens,
    registry: deps.registry,
    logger: deps.logger,
    cors: deps.cors,
  });
  return (req, res) => {
    if (!fastPath(req, res)) void app(req, res);
  };
};
