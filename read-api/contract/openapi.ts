import {
  healthOperation,
  openApiDocument,
  openApiOperation,
  type ApiOperation,
  type OpenApiDocument,
} from '../../infra/http/openapi';
import { getCouponOperation, listCouponsOperation } from './coupon-contract';
import { projectionLagOperation } from './lag-contract';
import {
  listNotificationsOperation,
  notificationStreamOperation,
  streamTicketOperation,
  unreadCountOperation,
} from './notification-contract';
import { getOrderOperation, listAdminOrdersOperation, listUserOrdersOperation } from './order-contract';
import { getReservationOperation, listMyReservationsOperation } from './reservation-contract';
import { userCouponStatsOperation } from './stats-contract';

/** Every route of the read API (read-api/app.ts), in the order it routes them. */
export const READ_API_OPERATIONS: readonly ApiOperation[] = [
  healthOperation,
  openApiOperation,
  projectionLagOperation,
  listCouponsOperation,
  getCouponOperation,
  getOrderOperation,
  listUserOrdersOperation,
  userCouponStatsOperation,
  listAdminOrdersOperation,
  listNotificationsOperation,
  unreadCountOperation,
  streamTicketOperation,
  notificationStreamOperation,
  listMyReservationsOperation,
  getReservationOperation,
];

let document: OpenApiDocument | undefined;

/** The read API's OpenAPI document, built once. */
export const readApiDocument = (): OpenApiDocument =>
  (document ??= openApiDocument(
    {
      title: 'CouponKill read API',
      version: '1.0.0',
      description:
        'Queries of CouponKill\'s read models (coupons, orders, per-user statistics, reservations, notifications) and their lag. Same tokens as the write API. Unknown query parameters are refused. Pass the `position` a write returned as `minPosition` (or `X-Min-Position`) to read your own writes. Every answer carries `X-Request-Id`, `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`; errors are `{"error": {"code", "message", "details"?}}`, and each operation lists the codes it can answer. Paths match exactly (case and trailing slash included): any other path answers `404 NOT_FOUND`.',
      server: {
        url: '/',
        description:
          'the read API that serves this document (port 8081 by default, `COUPONKILL_READ_API_PORT`)',
      },
      tags: [
        { name: 'operations', description: 'liveness, read-model lag and this document' },
        { name: 'coupons', description: 'the coupons read model' },
        { name: 'orders', description: 'the orders read model' },
        { name: 'stats', description: 'per-user coupon statistics' },
        { name: 'reservations', description: 'the reservations read model' },
        {
          name: 'notifications',
          description: "the caller's notifications: pages, unread count, live stream",
        },
      ],
    },
    READ_API_OPERATIONS,
  ));
