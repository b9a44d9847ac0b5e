import { Router } from 'express';
import { z } from 'zod';
import type { OrderCommands } from '../../commands/order-commands';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { authenticate } from '../http/auth';
import { commandContext } from '../http/request-context';
import { parseWith } from '../http/validation';
import { orderIdParam } from './params';

const noFields = z.strictObject({});

export const orderRoutes = (orders: OrderCommands, tokens: JwtTokens): Router => {
  const router = Router();
  router.use(authenticate(tokens));

  router.post('/:orderId/cancel', async (req, res) => {
    const { orderId } = parseWith(orderIdParam, req.params, 'path');
    parseWith(noFields, req.body, 'body');
    res.status(200).json(await orders.cancel(orderId, commandContext(res)));
  });

  router.post('/:orderId/use', async (req, res) => {
    const { orderId } = parseWith(orderIdParam, req.params, 'path');
    parseWith(noFields, req.body, 'body');
    res.status(200).json(await orders.use(orderId, commandContext(res)));
  });

  return router;
};
