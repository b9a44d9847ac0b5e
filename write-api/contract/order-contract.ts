import { z } from 'zod';
import type { OrderCommandResult } from '../../commands/order-handlers';
import { SUBJECT_PATTERN } from '../../infra/auth/jwt-tokens';
import { orderIdParam } from '../../infra/http/id-params';
import { positionString, uuidString, type ApiOperation, type Same } from '../../infra/http/openapi';

/** Cancelling and using an order take no fields: no body, or `{}`. */
export const noFields = z.strictObject({});

export const orderCommandResult = z
  .strictObject({
    orderId: uuidString,
    couponId: uuidString,
    userId: z.string().regex(SUBJECT_PATTERN),
    status: z.enum(['PLACED', 'CANCELLED', 'USED']),
    position: positionString.meta({
      description:
        "the global event-store position of the order's latest event: pass it as `minPosition` to read your write",
    }),
  })
  .meta({ id: 'OrderCommandResult', description: 'the order as the command left it' });

const _orderResult: Same<z.output<typeof orderCommandResult>, OrderCommandResult> = true;

export const cancelOrderOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/orders/:orderId/cancel',
  operationId: 'cancelOrder',
  summary: 'Cancel an order',
  description:
    "The order's owner only (another buyer's order answers 404). Its unit goes back to the coupon's stock.",
  tag: 'orders',
  access: 'user',
  params: orderIdParam,
  body: { schema: noFields, required: false, description: 'nothing, or `{}`' },
  answers: { 200: { description: 'cancelled', schema: orderCommandResult } },
  errors: [
    'ORDER_NOT_FOUND',
    'ORDER_ALREADY_CANCELLED',
    'ORDER_ALREADY_USED',
    'CONCURRENCY_CONFLICT',
    'DEPENDENCY_UNAVAILABLE',
    'OVERLOADED',
  ],
};

export const useOrderOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/orders/:orderId/use',
  operationId: 'useOrder',
  summary: 'Use an order',
  description: "The order's owner only (another buyer's order answers 404).",
  tag: 'orders',
  access: 'user',
  params: orderIdParam,
  body: { schema: noFields, required: false, description: 'nothing, or `{}`' },
  answers: { 200: { description: 'used', schema: orderCommandResult } },
  errors: [
    'ORDER_NOT_FOUND',
    'ORDER_CANCELLED',
    'ORDER_ALREADY_USED',
    'CONCURRENCY_CONFLICT',
    'DEPENDENCY_UNAVAILABLE',
    'OVERLOADED',
  ],
};
