import {
  healthOperation,
  openApiDocument,
  openApiOperation,
  type ApiOperation,
  type ErrorCode,
  type OpenApiDocument,
} from '../../infra/http/openapi';
import {
  addStockOperation,
  changeSaleWindowOperation,
  closeCouponOperation,
  createCouponOperation,
  deactivateCouponOperation,
  reactivateCouponOperation,
} from './coupon-contract';
import { markAllNotificationsReadOperation, markNotificationReadOperation } from './notification-contract';
import { cancelOrderOperation, useOrderOperation } from './order-contract';
import { cancelReservationOperation, placeReservationOperation } from './reservation-contract';
import { saleStatsOperation } from './sale-stats-contract';
import { claimOperation, seckillOperation } from './seckill-contract';
import {
  changePasswordOperation,
  disableUserOperation,
  enableUserOperation,
  loginOperation,
  refreshOperation,
  registerOperation,
} from './user-contract';

/** What every route behind the JSON body parser (infra/http/json-body.ts) may answer before it runs, and a 500. */
const BEHIND_THE_BODY_PARSER: readonly ErrorCode[] = [
  'MALFORMED_JSON',
  'MALFORMED_BODY',
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'INTERNAL_ERROR',
];

const commands = (operation: ApiOperation): ApiOperation => ({
  ...operation,
  errors: [...operation.errors, ...BEHIND_THE_BODY_PARSER],
});

/** Every route of the write API (write-api/app.ts), in the order it routes them. */
export const WRITE_API_OPERATIONS: readonly ApiOperation[] = [
  healthOperation,
  openApiOperation,
  ...[
    registerOperation,
    loginOperation,
    refreshOperation,
    changePasswordOperation,
    disableUserOperation,
    enableUserOperation,
    createCouponOperation,
    addStockOperation,
    closeCouponOperation,
    changeSaleWindowOperation,
    deactivateCouponOperation,
    reactivateCouponOperation,
    claimOperation,
    seckillOperation,
    cancelOrderOperation,
    useOrderOperation,
    placeReservationOperation,
    cancelReservationOperation,
    markAllNotificationsReadOperation,
    markNotificationReadOperation,
    saleStatsOperation,
  ].map(commands),
];

let document: OpenApiDocument | undefined;

/** The write API's OpenAPI document, built once. */
export const writeApiDocument = (): OpenApiDocument =>
  (document ??= openApiDocument(
    {
      title: 'CouponKill write API',
      version: '1.0.0',
      description:
        'Commands of CouponKill, an event-sourced flash sale for coupons: users, coupons, seckills, orders, reservations, notification read marks. Bodies are UTF-8 JSON objects (at most 16 KiB by default); unknown fields are refused. Every answer carries `X-Request-Id`, `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`; errors are `{"error": {"code", "message", "details"?}}`, and each operation lists the codes it can answer. Paths match exactly (case and trailing slash included): any other path answers `404 NOT_FOUND`.',
      server: {
        url: '/',
        description:
          'the write API that serves this document (port 8080 by default, `COUPONKILL_WRITE_API_PORT`)',
      },
      tags: [
        { name: 'operations', description: 'liveness and this document' },
        {
          name: 'users',
          description:
            'registration, login, password changes, and administrators disabling and enabling accounts',
        },
        { name: 'coupons', description: "administrators' coupon management" },
        { name: 'seckill', description: 'buying a unit of a coupon' },
        { name: 'orders', description: 'what a buyer may do with their orders' },
        { name: 'reservations', description: 'reserving a flash-sale coupon before its window opens' },
        { name: 'notifications', description: "a buyer's read marks on their notifications" },
      ],
    },
    WRITE_API_OPERATIONS,
  ));
