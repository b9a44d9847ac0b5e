import express, { Router, type Express } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { JwtTokens } from '../infra/auth/jwt-tokens';
import type { ProjectionLag } from '../projections/projection-lag';
import type { ReadQueries } from '../projections/read-queries';
import { ApiError, forbidden } from '../write-api/http/api-error';
import { authenticate } from '../write-api/http/auth';
import { errorHandler, notFound } from '../write-api/http/error-handler';
import { httpMetrics } from '../write-api/http/http-metrics';
import { principalOf, requestId } from '../write-api/http/request-context';
import { parseWith } from '../write-api/http/validation';
import { couponIdParam, orderIdParam } from '../write-api/routes/params';
import { opsRoutes, type ReadinessCheck } from '../write-api/routes/ops-routes';

export interface ReadApiDependencies {
  readonly queries: ReadQueries;
  readonly lag: ProjectionLag;
  readonly tokens: JwtTokens;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly readiness: readonly ReadinessCheck[];
}

const position = z
  .string()
  .regex(/^\d{1,20}$/, 'must be a position returned by the write API')
  .transform((v) => BigInt(v));
const listQuery = {
  cursor: z
    .string()
    .regex(/^[0-9a-f-]{36}$/, 'must be a cursor returned by a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  minPosition: position.optional(),
};
const pageQuery = z.strictObject(listQuery);
const ordersQuery = z.strictObject({
  ...listQuery,
  status: z.enum(['PLACED', 'CANCELLED', 'USED']).optional(),
});
const readQuery = z.strictObject({ minPosition: position.optional() });
const userParam = z.strictObject({ userId: z.string().min(1).max(64) });

/** `minPosition` comes as a query parameter or as the `X-Min-Position` header. */
const minPositionOf = (fromQuery: bigint | undefined, header: string | undefined): bigint | null => {
  if (fromQuery !== undefined) return fromQuery;
  if (header === undefined) return null;
  return parseWith(position, header, 'header X-Min-Position');
};

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
  const requireSelfOrAdmin = (userId: string, res: express.Response): void => {
    const principal = principalOf(res);
    if (principal.userId !== userId && principal.role !== 'admin')
      throw forbidden('you may read only your own data');
  };

  api.get('/coupons', async (req, res) => {
    const q = parseWith(pageQuery, req.query, 'query');
    res.json(
      await deps.queries.coupons(
        q.cursor ?? null,
        q.limit,
        minPositionOf(q.minPosition, req.get('x-min-position')),
      ),
    );
  });
  api.get('/coupons/:couponId', async (req, res) => {
    const { couponId } = parseWith(couponIdParam, req.params, 'path');
    const q = parseWith(readQuery, req.query, 'query');
    const coupon = await deps.queries.coupon(
      couponId,
      minPositionOf(q.minPosition, req.get('x-min-position')),
    );
    if (!coupon) throw new ApiError(404, 'COUPON_NOT_FOUND', `coupon ${couponId} does not exist`);
    res.json(coupon);
  });
  api.get('/orders/:orderId', async (req, res) => {
    const { orderId } = parseWith(orderIdParam, req.params, 'path');
    const q = parseWith(readQuery, req.query, 'query');
    const order = await deps.queries.order(orderId, minPositionOf(q.minPosition, req.get('x-min-position')));
    const principal = principalOf(res);
    // Another buyer's order reads as missing, so order ids cannot be probed.
    if (!order || (order.userId !== principal.userId && principal.role !== 'admin'))
      throw new ApiError(404, 'ORDER_NOT_FOUND', `order ${orderId} does not exist`);
    res.json(order);
  });
  api.get('/users/:userId/orders', async (req, res) => {
    const { userId } = parseWith(userParam, req.params, 'path');
    requireSelfOrAdmin(userId, res);
    const q = parseWith(ordersQuery, req.query, 'query');
    res.json(
      await deps.queries.userOrders(
        userId,
        { status: q.status ?? null, cursor: q.cursor ?? null, limit: q.limit },
        minPositionOf(q.minPosition, req.get('x-min-position')),
      ),
    );
  });
  api.get('/users/:userId/coupon-stats', async (req, res) => {
    const { userId } = parseWith(userParam, req.params, 'path');
    requireSelfOrAdmin(userId, res);
    const q = parseWith(readQuery, req.query, 'query');
    res.json({
      userId,
      coupons: await deps.queries.userCouponStats(
        userId,
        minPositionOf(q.minPosition, req.get('x-min-position')),
      ),
    });
  });

  app.use('/api/v1', api);
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
};
