import { z } from 'zod';
import { SUBJECT_PATTERN } from '../../infra/auth/jwt-tokens';
import { orderIdParam } from '../../infra/http/id-params';
import {
  positionString,
  uuidString,
  RATE_LIMIT_ANSWER_HEADERS,
  type ApiOperation,
  type Same,
} from '../../infra/http/openapi';
import type { OrderView } from '../../projections/orders/orders-queries';
import { listQuery, minPositionHeader, READ_MODEL, readQuery, userParam } from './request-parts';

export const ordersQuery = z.strictObject({
  ...listQuery,
  status: z
    .enum(['PLACED', 'CANCELLED', 'USED'])
    .optional()
    .meta({ description: 'only orders in this status' }),
});

export const orderView = z
  .strictObject({
    orderId: uuidString,
    userId: z.string().regex(SUBJECT_PATTERN),
    couponId: uuidString,
    status: z.enum(['PLACED', 'CANCELLED', 'USED']),
    placedAt: z.iso.datetime().nullable(),
    updatedAt: z.iso.datetime(),
    position: positionString.meta({
      description: "the event-store position of the order's latest event applied",
    }),
  })
  .meta({ id: 'OrderView', description: 'an order as the orders read model shows it' });

const _orderView: Same<z.output<typeof orderView>, OrderView> = true;

export const orderPage = z
  .strictObject({
    items: z.array(orderView),
    nextCursor: uuidString
      .nullable()
      .meta({ description: 'pass it as `cursor` for the next page; null on the last' }),
  })
  .meta({ id: 'OrderPage', description: "a buyer's orders, newest first" });

export const getOrderOperation: ApiOperation = {
  method: 'get',
  route: '/api/v1/orders/:orderId',
  operationId: 'getOrder',
  summary: 'Read an order',
  description:
    "Its buyer or an administrator. Another buyer's order answers 404, so order ids cannot be probed.",
  tag: 'orders',
  access: 'user',
  params: orderIdParam,
  query: readQuery,
  headers: minPositionHeader,
  answers: { 200: { description: 'the order', schema: orderView, headers: RATE_LIMIT_ANSWER_HEADERS } },
  errors: ['ORDER_NOT_FOUND', ...READ_MODEL],
};

export const listUserOrdersOperation: ApiOperation = {
  method: 'get',
  route: '/api/v1/users/:userId/orders',
  operationId: 'listUserOrders',
  summary: "List a buyer's orders",
  description: 'That user or an administrator. Newest first, a page at a time.',
  tag: 'orders',
  access: 'user',
  params: userParam,
  query: ordersQuery,
  headers: minPositionHeader,
  answers: {
    200: { description: 'a page of orders', schema: orderPage, headers: RATE_LIMIT_ANSWER_HEADERS },
  },
  errors: ['FORBIDDEN', ...READ_MODEL],
};
