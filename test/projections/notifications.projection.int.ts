import { notificationsProjection } from '../../projections/notifications/notifications-projection';
import {
  NOTIFICATION_COLUMNS,
  notificationsTable,
} from '../../projections/notifications/notifications-tables';
import { ProjectionSpecification, storedEvents } from '../support/projection-specification';

const COUPON = '01900000-0000-7000-8000-00000000c001';
const reservation = (n: number) => `01900000-0000-7000-8000-0000000000a${String(n)}`;
const ORDER = '01900000-0000-7000-8000-0000000000b1';
const at = (s: number) => `2026-01-01T10:00:${String(s).padStart(2, '0')}.000Z`;

const outcome = (type: string, n: number, userId: string, data: Record<string, unknown>) =>
  [
    `reservation-${reservation(n)}`,
    { type, schemaVersion: 1, data: { reservationId: reservation(n), couponId: COUPON, userId, ...data } },
  ] as const;

/** Outcomes and expiries for two buyers, and alice's read marks: one by id, one "everything up to" a position. */
const events = storedEvents([
  outcome('ReservationPlaced', 1, 'alice', { reservedAt: at(0) }), // 1: no notification
  outcome('ReservationSucceeded', 1, 'alice', { orderId: ORDER, succeededAt: at(1) }), // 2
  outcome('ReservationFailed', 2, 'alice', { code: 'SOLD_OUT', message: 'sold out ✗', failedAt: at(2) }), // 3
  outcome('ReservationCancelled', 3, 'bob', { cancelledAt: at(3) }), // 4
  outcome('ReservationExpired', 4, 'alice', { expiredAt: at(4), reason: 'window closed' }), // 5
  [
    `order-${ORDER}`,
    {
      type: 'OrderExpiryNoticed',
      schemaVersion: 1,
      data: { orderId: ORDER, couponId: COUPON, userId: 'alice', noticedAt: at(5), validUntil: at(50) },
    },
  ], // 6
  // alice read everything up to position 3, and the expiry notice (position 6) by its id (filled in below).
  [
    'notifications-alice',
    {
      type: 'NotificationsReadUpTo',
      schemaVersion: 1,
      data: { userId: 'alice', upToPosition: '3', readAt: at(7) },
    },
  ], // 7
  [
    'notifications-alice',
    {
      type: 'NotificationRead',
      schemaVersion: 1,
      data: { userId: 'alice', notificationId: 'x', readAt: at(8) },
    },
  ], // 8
  [
    `order-${ORDER}`,
    {
      type: 'OrderExpired',
      schemaVersion: 1,
      data: { orderId: ORDER, couponId: COUPON, userId: 'alice', expiredAt: at(9), validUntil: at(50) },
    },
  ], // 9
  // A mark of bob's that covers nothing of alice's.
  [
    'notifications-bob',
    {
      type: 'NotificationsReadUpTo',
      schemaVersion: 1,
      data: { userId: 'bob', upToPosition: '100', readAt: at(10) },
    },
  ], // 10
]);
const idAt = (position: number): string => events[position - 1]!.metadata.eventId;
// The by-id mark names the expiry notice's notification: its event's id.
(events[7]!.data as { notificationId: string }).notificationId = idAt(6);

describe('notifications read model (projection spec on MariaDB)', () => {
  it('holds one notification per outcome and expiry, read as the buyer marked them, whatever the order of arrival', async () => {
    await ProjectionSpecification.for(notificationsProjection)
      .given(events)
      .then(
        async (query, suffix) =>
          (await query(`SELECT ${NOTIFICATION_COLUMNS} FROM ${notificationsTable(suffix)}`))
            .map((r) => ({
              id: r.notification_id,
              userId: r.user_id,
              kind: r.kind,
              payload: JSON.parse(String(r.payload)) as unknown,
              createdAt: (r.created_at as Date).toISOString(),
              position: Number(r.position),
              read: Number(r.is_read) === 1,
            }))
            .sort((a, b) => a.position - b.position),
        [
          {
            id: idAt(2),
            userId: 'alice',
            kind: 'RESERVATION_SUCCEEDED',
            payload: { reservationId: reservation(1), couponId: COUPON, orderId: ORDER },
            createdAt: at(1),
            position: 2,
            read: true,
          },
          {
            id: idAt(3),
            userId: 'alice',
            kind: 'RESERVATION_FAILED',
            payload: {
              reservationId: reservation(2),
              couponId: COUPON,
              code: 'SOLD_OUT',
              message: 'sold out ✗',
            },
            createdAt: at(2),
            position: 3,
            read: true,
          },
          {
            id: idAt(4),
            userId: 'bob',
            kind: 'RESERVATION_CANCELLED',
            payload: { reservationId: reservation(3), couponId: COUPON },
            createdAt: at(3),
            position: 4,
            read: true,
          },
          {
            id: idAt(5),
            userId: 'alice',
            kind: 'RESERVATION_EXPIRED',
            payload: { reservationId: reservation(4), couponId: COUPON, reason: 'window closed' },
            createdAt: at(4),
            position: 5,
            read: false,
          },
          {
            id: idAt(6),
            userId: 'alice',
            kind: 'ORDER_EXPIRING',
            payload: { orderId: ORDER, couponId: COUPON, validUntil: at(50) },
            createdAt: at(5),
            position: 6,
            read: true,
          },
          {
            id: idAt(9),
            userId: 'alice',
            kind: 'ORDER_EXPIRED',
            payload: { orderId: ORDER, couponId: COUPON, validUntil: at(50) },
            createdAt: at(9),
            position: 9,
            read: false,
          },
        ],
      );
  });
});
