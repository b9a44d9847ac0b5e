import { z } from 'zod';
import { ORDER_STATUSES } from '../../domain/order/order-decider';
import { SUBJECT_PATTERN } from '../../infra/auth/jwt-tokens';
import { orderIdParam } from '../../infra/http/id-params';
import {
  positionString,
  uuidString,
  RATE_LIMIT_ANSWER_HEADERS,
  type ApiOperation,
  type Same,
} from '../../infra/http/openapi';
import type { OrderListPosition, OrderView } from '../../projections/orders/orders-queries';
import { listQuery, minPositionHeader, position, READ_MODEL, readQuery, userParam } from './request-parts';

const statusFilter = z.enum(ORDER_STATUSES).optional().meta({ description: 'only orders in this status' });

export const ordersQuery = z.strictObject({ ...listQuery, status: statusFilter });

const CURSOR_PATTERN =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The administrators' listing's cursor: opaque to clients, `base64url("<placedAt ISO>|<orderId>")` inside. */
export const encodeOrderCursor = (at: OrderListPosition): string =>
  Buffer.from(`${at.placedAt.toISOString()}|${at.orderId}`, 'utf8').toString('base64url');

const decodeOrderCursor = (cursor: string): OrderListPosition | null => {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(cursor)) return null;
  const match = CURSOR_PATTERN.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1] || !match[2]) return null;
  const placedAt = new Date(match[1]);
  return Number.isNaN(placedAt.getTime()) || placedAt.toISOString() !== match[1]
    ? null
    : { placedAt, orderId: match[2] };
};

const instant = (what: string) =>
  z.iso
    .datetime({ offset: true })
    .transform((value) => new Date(value))
    .optional()
    .meta({ description: `${what}: ISO-8601 with an offset (\`2026-12-01T00:00:00Z\`)` });

/** The administrators' listing's query: a time range of placement, a coupon, a status, a page. */
export const adminOrdersQuery = z
  .strictObject({
    from: instant('only orders placed at or after this time'),
    to: instant('only orders placed before this time (exclusive)'),
    couponId: uuidString.optional().meta({ description: "only this coupon's orders" }),
    status: statusFilter,
    cursor: z
      .string()
      .transform((value, ctx) => {
        const decoded = decodeOrderCursor(value);
        if (decoded === null)
          ctx.addIssue({ code: 'custom', message: 'must be a nextCursor returned by a previous page' });
        return decoded ?? z.NEVER;
      })
      .optional()
      .meta({ description: "the previous page's `nextCursor` (opaque)" }),
    limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'orders per page' }),
    minPosition: position.optional().meta({
      description:
        'A `position` a write returned: the read waits until every shard has applied it (as the other reads do).',
    }),
  })
  .superRefine((q, ctx) => {
    if (q.from && q.to && q.from >= q.to)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  });

export const orderView = z
  .strictObject({
    orderId: uuidString,
    userId: z.string().regex(SUBJECT_PATTERN),
    couponId: uuidString,
    status: z.enum(ORDER_STATUSES).meta({
      description:
        'PLACED → USED | CANCELLED | EXPIRED; EXPIRED: its validity ended unused (its unit was not returned)',
    }),
    placedAt: z.iso.datetime().nullable(),
    updatedAt: z.iso.datetime(),
    position: positionString.meta({
      description: "the event-store position of the order's latest event applied",
    }),
    couponType: z.enum(['SECKILL', 'REGULAR']).nullable(),
    minSpendCents: z
      .number()
      .int()
      .min(0)
      .nullable()
      .meta({ description: 'the least purchase it may be used on, in cents (0: none)' }),
    validUntil: z.iso
      .datetime()
      .nullable()
      .meta({ description: 'the first instant it can no longer be used; null: valid for ever' }),
    expiredAt: z.iso
      .datetime()
      .nullable()
      .meta({ description: 'when its expiry was stored; null unless EXPIRED' }),
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

export const adminOrderPage = z
  .strictObject({
    items: z.array(orderView),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'pass it as `cursor` for the next page (opaque); null on the last' }),
  })
  .meta({ id: 'AdminOrderPage', description: "every buyer's orders, newest first by (placedAt, orderId)" });

export const listAdminOrdersOperation: ApiOperation = {
  method: 'get',
  route: '/api/v1/admin/orders',
  operationId: 'listAdminOrders',
  summary: "List every buyer's orders",
  description:
    'Administrators only. Newest first by (placedAt, orderId), across every shard of the orders read model, a page at a time: the opaque cursor is a position in that order (keyset pagination in each shard, no offset), so paging to the end while orders are being placed lists every order placed before the first page once, with no duplicate and no gap. Bad `from`, `to`, `couponId`, `status`, `cursor` or `limit` answer `400 VALIDATION_FAILED` naming it.',
  tag: 'orders',
  access: 'admin',
  query: adminOrdersQuery,
  headers: minPositionHeader,
  answers: {
    200: { description: 'a page of orders', schema: adminOrderPage, headers: RATE_LIMIT_ANSWER_HEADERS },
  },
  errors: [...READ_MODEL],
};
