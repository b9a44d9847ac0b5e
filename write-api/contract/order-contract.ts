import { z } from 'zod';
import type { OrderCommandResult } from '../../commands/order-handlers';
import { ORDER_STATUSES } from '../../domain/order/order-decider';
import { SUBJECT_PATTERN } from '../../infra/auth/jwt-tokens';
import { orderIdParam } from '../../infra/http/id-params';
import { positionString, uuidString, type ApiOperation, type Same } from '../../infra/http/openapi';

/** Cancelling an order takes no fields: no body, or `{}`. */
export const noFields = z.strictObject({});

/** Using an order: the amount of the purchase it is used on, when there is one (required by a minimum spend). */
export const useOrderBody = z
  .strictObject({
    amountCents: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().meta({
      description:
        "The purchase's amount in cents, 0 to 2^53−1. Required when the order has a minimum spend (`400 VALIDATION_FAILED` naming `amountCents` without it), and then at least that (`422 MIN_SPEND_NOT_MET`); recorded on the order when given.",
    }),
  })
  .meta({ id: 'UseOrder' });

export const orderCommandResult = z
  .strictObject({
    orderId: uuidString,
    couponId: uuidString,
    userId: z.string().regex(SUBJECT_PATTERN),
    status: z.enum(ORDER_STATUSES),
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
    "The order's owner only (another buyer's order answers 404). Its unit goes back to the coupon's stock. An order whose validity has ended cannot be cancelled (`409 ORDER_EXPIRED`): expiry keeps the unit.",
  tag: 'orders',
  access: 'user',
  params: orderIdParam,
  body: { schema: noFields, required: false, description: 'nothing, or `{}`' },
  answers: { 200: { description: 'cancelled', schema: orderCommandResult } },
  errors: [
    'ORDER_NOT_FOUND',
    'ORDER_ALREADY_CANCELLED',
    'ORDER_ALREADY_USED',
    'ORDER_EXPIRED',
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
  description:
    "The order's owner only (another buyer's order answers 404). Only while the order is valid: from its `validUntil` on it answers `409 ORDER_EXPIRED`, even before the expiry process has stored the expiry. An order with a minimum spend needs `amountCents`, at least that minimum.",
  tag: 'orders',
  access: 'user',
  params: orderIdParam,
  body: {
    schema: useOrderBody,
    required: false,
    description: 'nothing, `{}`, or `{amountCents}`',
  },
  answers: { 200: { description: 'used', schema: orderCommandResult } },
  errors: [
    'ORDER_NOT_FOUND',
    'ORDER_CANCELLED',
    'ORDER_ALREADY_USED',
    'ORDER_EXPIRED',
    'MIN_SPEND_NOT_MET',
    'CONCURRENCY_CONFLICT',
    'DEPENDENCY_UNAVAILABLE',
    'OVERLOADED',
  ],
};
