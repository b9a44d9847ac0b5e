import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { JwtTokens } from '../infra/auth/jwt-tokens';
import type { StreamTickets } from '../infra/auth/stream-tickets';
import { authenticate } from '../infra/http/auth';
import { errorHandler, notFound } from '../infra/http/error-handler';
import { httpMetrics } from '../infra/http/http-metrics';
import { openApiRoute } from '../infra/http/openapi';
import { healthz } from '../infra/http/ops-routes';
import { requestId } from '../infra/http/request-context';
import { responseHeaders } from '../infra/http/response-headers';
import { exactRouting, noOptions, recordRoute } from '../infra/http/routing';
import type { CouponsQueries } from '../projections/coupons/coupons-queries';
import type { NotificationFeed } from '../projections/notifications/notification-feed';
import type { NotificationsQueries } from '../projections/notifications/notifications-queries';
import type { OrdersQueries } from '../projections/orders/orders-queries';
import type { ProjectionLag } from '../projections/projection-lag';
import type { ReservationsQueries } from '../projections/reservations/reservations-queries';
import type { StatsQueries } from '../projections/stats/stats-queries';
import { readApiDocument } from './contract/openapi';
import { toReadApiError } from './error-mapping';
import { couponRoutes } from './routes/coupon-routes';
import { notificationRoutes } from './routes/notification-routes';
import type { StreamSettings } from './routes/notification-stream';
import { orderRoutes } from './routes/order-routes';
import { reservationRoutes } from './routes/reservation-routes';
import { statsRoutes } from './routes/stats-routes';
import { webAppRoutes, type WebAppSettings } from './web-app';

export interface ReadApiDependencies {
  readonly coupons: CouponsQueries;
  readonly orders: OrdersQueries;
  readonly stats: StatsQueries;
  readonly notifications: NotificationsQueries;
  /** The live notification streams' one shared watcher. */
  readonly notificationFeed: NotificationFeed;
  readonly streamTickets: StreamTickets;
  readonly stream: StreamSettings;
  readonly reservations: ReservationsQueries;
  readonly lag: ProjectionLag;
  readonly tokens: JwtTokens;
  readonly registry: Registry;
  readonly logger: Logger;
  /** The per-buyer quota, run after authentication on every authenticated route (read-api/read-admission.ts). */
  readonly buyerLimit: RequestHandler;
  /** The web app this API serves under /app/ (read-api/web-app.ts). */
  readonly web: WebAppSettings;
}

/** How old a public lag report may be: anonymous callers share one computation a second. */
const PUBLIC_LAG_MAX_AGE_MS = 1000;

export const createReadApi = (deps: ReadApiDependencies): Express => {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  exactRouting(app);
  app.use(requestId, responseHeaders, httpMetrics(deps.registry), noOptions);
  // Readiness and metrics are on the ops listener (bin/ops-app.ts); what stays public is cheap.
  app.get('/healthz', recordRoute, healthz);
  app.get('/openapi.json', recordRoute, openApiRoute(readApiDocument()));
  app.get('/api/v1/projections/lag', recordRoute, async (_req, res) => {
    res.json(await deps.lag.report(PUBLIC_LAG_MAX_AGE_MS));
  });
  // The web app: public files, no token, so outside the per-buyer quota like the routes above.
  app.use(webAppRoutes(deps.web));

  const authenticated = authenticate(deps.tokens);
  const user: RequestHandler = (req, res, next) =>
    authenticated(req, res, (error?: unknown) => (error ? next(error) : deps.buyerLimit(req, res, next)));
  app.use(
    '/api/v1',
    couponRoutes(deps.coupons, user),
    orderRoutes(deps.orders, user),
    statsRoutes(deps.stats, user),
    notificationRoutes(
      {
        queries: deps.notifications,
        feed: deps.notificationFeed,
        tokens: deps.tokens,
        tickets: deps.streamTickets,
        stream: deps.stream,
      },
      user,
      deps.buyerLimit,
    ),
    reservationRoutes(deps.reservations, user),
  );
  app.use(notFound);
  app.use(errorHandler(deps.logger, toReadApiError));
  return app;
};
