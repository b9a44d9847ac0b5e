import type { RecordedEvent } from '../../commands/event-store-port';
import { decodeRecorded } from '../../commands/stored-events';
import { buyerOfNotificationEvent, notificationOf, readMarkOf } from './notification-mapping';

const RESERVATION = '01900000-0000-7000-8000-0000000000a1';
const COUPON = '01900000-0000-7000-8000-00000000c001';
const ORDER = '01900000-0000-7000-8000-0000000000b1';
const EVENT_ID = '01900000-0000-7000-8000-0000000000e1';

const recorded = (
  streamId: string,
  type: string,
  data: Record<string, unknown>,
  position = 42,
): RecordedEvent => ({
  streamId,
  revision: 3n,
  position: BigInt(position),
  type,
  schemaVersion: 1,
  data,
  metadata: { eventId: EVENT_ID, correlationId: 'c', causationId: 'c', userId: 'system', occurredAt: '' },
  recordedAt: new Date('2026-01-01T00:00:09.000Z'),
});

const reservation = (type: string, extra: Record<string, unknown>) =>
  decodeRecorded(
    recorded(`reservation-${RESERVATION}`, type, {
      reservationId: RESERVATION,
      couponId: COUPON,
      userId: 'alice',
      ...extra,
    }),
  );

const order = (type: string, extra: Record<string, unknown>) =>
  decodeRecorded(
    recorded(`order-${ORDER}`, type, { orderId: ORDER, couponId: COUPON, userId: 'bob', ...extra }),
  );

const common = { notificationId: EVENT_ID, position: 42n };

describe('notification mapping (event → notification)', () => {
  it.each([
    [
      'ReservationSucceeded',
      { orderId: ORDER, succeededAt: '2026-01-01T10:00:00.000Z' },
      'RESERVATION_SUCCEEDED',
      { reservationId: RESERVATION, couponId: COUPON, orderId: ORDER },
      '2026-01-01T10:00:00.000Z',
    ],
    [
      'ReservationFailed',
      { code: 'SOLD_OUT', message: 'the coupon is sold out', failedAt: '2026-01-01T10:00:01.000Z' },
      'RESERVATION_FAILED',
      { reservationId: RESERVATION, couponId: COUPON, code: 'SOLD_OUT', message: 'the coupon is sold out' },
      '2026-01-01T10:00:01.000Z',
    ],
    [
      'ReservationCancelled',
      { cancelledAt: '2026-01-01T10:00:02.000Z' },
      'RESERVATION_CANCELLED',
      { reservationId: RESERVATION, couponId: COUPON },
      '2026-01-01T10:00:02.000Z',
    ],
    [
      'ReservationExpired',
      { expiredAt: '2026-01-01T10:00:03.000Z', reason: 'the sale window closed' },
      'RESERVATION_EXPIRED',
      { reservationId: RESERVATION, couponId: COUPON, reason: 'the sale window closed' },
      '2026-01-01T10:00:03.000Z',
    ],
  ])('tells the buyer of a reservation’s outcome: %s → %s', (type, extra, kind, payload, createdAt) => {
    const event = reservation(type, extra);
    expect(notificationOf(event)).toEqual({ ...common, userId: 'alice', kind, payload, createdAt });
    expect(buyerOfNotificationEvent(event)).toBe('alice');
  });

  it('tells the buyer that an order expires soon, and that it expired', () => {
    const noticed = order('OrderExpiryNoticed', {
      noticedAt: '2026-01-02T09:00:00.000Z',
      validUntil: '2026-01-02T10:00:00.000Z',
    });
    expect(notificationOf(noticed)).toEqual({
      ...common,
      userId: 'bob',
      kind: 'ORDER_EXPIRING',
      payload: { orderId: ORDER, couponId: COUPON, validUntil: '2026-01-02T10:00:00.000Z' },
      createdAt: '2026-01-02T09:00:00.000Z',
    });
    const expired = order('OrderExpired', {
      expiredAt: '2026-01-02T10:00:01.000Z',
      validUntil: '2026-01-02T10:00:00.000Z',
    });
    expect(notificationOf(expired)).toEqual({
      ...common,
      userId: 'bob',
      kind: 'ORDER_EXPIRED',
      payload: { orderId: ORDER, couponId: COUPON, validUntil: '2026-01-02T10:00:00.000Z' },
      createdAt: '2026-01-02T10:00:01.000Z',
    });
    expect(buyerOfNotificationEvent(expired)).toBe('bob');
  });

  it('tells nobody of the steps before an outcome, nor of anything else', () => {
    for (const event of [
      reservation('ReservationPlaced', { reservedAt: '2026-01-01T09:00:00.000Z' }),
      reservation('ReservationFiring', { orderId: ORDER, firingAt: '2026-01-01T10:00:00.000Z' }),
      order('OrderPlaced', {
        placedAt: '2026-01-01T10:00:00.000Z',
        idempotencyKey: null,
        couponType: 'SECKILL',
        minSpendCents: 0,
        validUntil: null,
      }),
      order('OrderCancelled', { cancelledAt: '2026-01-01T10:00:00.000Z' }),
      order('OrderUsed', { usedAt: '2026-01-01T10:00:00.000Z', amountCents: 100 }),
      order('SeckillAbandoned', { abandonedAt: '2026-01-01T10:00:00.000Z', reason: 'x' }),
    ]) {
      expect(notificationOf(event)).toBeNull();
      expect(buyerOfNotificationEvent(event)).toBeNull();
    }
  });

  it('the same event gives the same notification every time (a replay, a redelivery)', () => {
    const make = () => reservation('ReservationCancelled', { cancelledAt: '2026-01-01T10:00:02.000Z' });
    expect(notificationOf(make())).toEqual(notificationOf(make()));
  });

  it('reads the buyer’s read marks, routed to the buyer’s partition, a malformed one refused by the projection only', () => {
    const one = decodeRecorded(
      recorded('notifications-alice', 'NotificationRead', {
        userId: 'alice',
        notificationId: EVENT_ID,
        readAt: '2026-01-01T11:00:00.000Z',
      }),
    );
    expect(readMarkOf(one)).toEqual({ kind: 'one', userId: 'alice', notificationId: EVENT_ID });
    expect(notificationOf(one)).toBeNull();
    const upTo = decodeRecorded(
      recorded('notifications-alice', 'NotificationsReadUpTo', {
        userId: 'alice',
        upToPosition: '18446744073709551615',
        readAt: '2026-01-01T11:00:00.000Z',
      }),
    );
    expect(readMarkOf(upTo)).toEqual({ kind: 'upTo', userId: 'alice', upTo: 2n ** 64n - 1n });
    const malformed = decodeRecorded(
      recorded('notifications-alice', 'NotificationsReadUpTo', {
        userId: 'alice',
        upToPosition: 'all',
        readAt: '2026-01-01T11:00:00.000Z',
      }),
    );
    expect(buyerOfNotificationEvent(malformed)).toBe('alice');
    expect(() => readMarkOf(malformed)).toThrow(/not a position/);
  });
});
