import type { Router } from 'express';
import type { OrderHandlers } from '../../commands/order-handlers';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { authenticate } from '../../infra/http/auth';
import { orderIdParam } from '../../infra/http/id-params';
import { commandContext } from '../../infra/http/request-context';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';
import { noFields, useOrderBody } from '../contract/order-contract';

export const orderRoutes = (orders: OrderHandlers, tokens: JwtTokens): Router => {
  const router = exactRouter();
  const buyer = authenticate(tokens);

  router.post('/:orderId/cancel', recordRoute, buyer, async (req, res) => {
    const { orderId } = parseWith(orderIdParam, req.params, 'path');
    parseWith(noFields, req.body, 'body');
    res.status(200).json(await orders.cancel(orderId, commandContext(res)));
  });

  router.post('/:orderId/use', recordRoute, buyer, async (req, res) => {
    const { orderId } = parseWith(orderIdParam, req.params, 'path');
    const body = parseWith(useOrderBody, req.body, 'body');
    res.status(200).json(await orders.use(orderId, commandContext(res), body.amountCents ?? null));
  });

  return router;
};
