import type { RequestHandler, Router } from 'express';
import { orderIdParam } from '../../infra/http/id-params';
import { ApiError, forbidden } from '../../infra/http/api-error';
import { principalOf } from '../../infra/http/request-context';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';
import type { OrdersQueries } from '../../projections/orders/orders-queries';
import { adminOrdersQuery, encodeOrderCursor, ordersQuery } from '../contract/order-contract';
import { readQuery, userParam } from '../contract/request-parts';
import { minPositionOf } from '../read-queries';
import { requireSelfOrAdmin } from './user-access';

/** The orders read model: one order, and a buyer's orders. */
export const orderRoutes = (orders: OrdersQueries, user: RequestHandler): Router => {
  const router = exactRouter();

  router.get('/orders/:orderId', recordRoute, user, async (req, res) => {
    const { orderId } = parseWith(orderIdParam, req.params, 'path');
    const q = parseWith(readQuery, req.query, 'query');
    const order = await orders.order(orderId, minPositionOf(q.minPosition, req));
    const principal = principalOf(res);
    // Another buyer's order reads as missing, so order ids cannot be probed.
    if (!order || (order.userId !== principal.userId && principal.role !== 'admin'))
      throw new ApiError(404, 'ORDER_NOT_FOUND', `order ${orderId} does not exist`);
    res.json(order);
  });

  router.get('/users/:userId/orders', recordRoute, user, async (req, res) => {
    const { userId } = parseWith(userParam, req.params, 'path');
    requireSelfOrAdmin(userId, res);
    const q = parseWith(ordersQuery, req.query, 'query');
    res.json(
      await orders.userOrders(
        userId,
        { status: q.status ?? null, cursor: q.cursor ?? null, limit: q.limit },
        minPositionOf(q.minPosition, req),
      ),
    );
  });

  router.get('/admin/orders', recordRoute, user, async (req, res) => {
    if (principalOf(res).role !== 'admin') throw forbidden('this needs the admin role');
    const q = parseWith(adminOrdersQuery, req.query, 'query');
    const page = await orders.adminOrders(
      {
        from: q.from ?? null,
        to: q.to ?? null,
        couponId: q.couponId ?? null,
        status: q.status ?? null,
        after: q.cursor ?? null,
        limit: q.limit,
      },
      minPositionOf(q.minPosition, req),
    );
    res.json({ items: page.items, nextCursor: page.next ? encodeOrderCursor(page.next) : null });
  });

  return router;
};
