import type { DecodedEvent } from '../../commands/stored-events';
import { assertNever } from '../../domain/shared/event';

/** What a buyer is told about, one kind per event that tells it (README, "Notifications"). */
export const NOTIFICATION_KINDS = [
  'RESERVATION_SUCCEEDED',
  'RESERVATION_FAILED',
  'RESERVATION_CANCELLED',
  'RESERVATION_EXPIRED',
  'ORDER_EXPIRING',
  'ORDER_EXPIRED',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** What each kind carries besides the common fields. */
export interface NotificationPayloads {
  /** The reservation was fired and bought: `orderId` is the buyer's order. */
  RESERVATION_SUCCEEDED: { reservationId: string; couponId: string; orderId: string };
  /** The purchase was refused: `code` is the seckill's refusal (SOLD_OUT, LIMIT_REACHED, …). */
  RESERVATION_FAILED: { reservationId: string; couponId: string; code: string; message: string };
  RESERVATION_CANCELLED: { reservationId: string; couponId: string };
  /** It could not be fired (the sale window closed or the coupon went away first). */
  RESERVATION_EXPIRED: { reservationId: string; couponId: string; reason: string };
  /** The order stops being usable at `validUntil`, within the configured lead time. */
  ORDER_EXPIRING: { orderId: string; couponId: string; validUntil: string };
  /** The order's validity ended before it was used. */
  ORDER_EXPIRED: { orderId: string; couponId: string; validUntil: string };
}

export type NotificationPayload = NotificationPayloads[NotificationKind];

/** A notification as the read model keeps it, derived from exactly one stored event. */
export interface Notification {
  /** The id of the event it comes from: stable, so a replay or a redelivery derives the same notification. */
  readonly notificationId: string;
  /** The buyer it is for. */
  readonly userId: string;
  readonly kind: NotificationKind;
  readonly payload: NotificationPayload;
  /** When the event says it happened (ISO-8601). */
  readonly createdAt: string;
  /** The source event's global position: notifications are ordered by it. */
  readonly position: bigint;
}

const notification = <K extends NotificationKind>(
  { recorded }: DecodedEvent,
  userId: string,
  kind: K,
  payload: NotificationPayloads[K],
  createdAt: string,
): Notification => ({
  notificationId: recorded.metadata.eventId,
  userId,
  kind,
  payload,
  createdAt,
  position: recorded.position,
});

/**
 * The notification an event gives its buyer, or null for events no one is told about: every terminal outcome of a
 * reservation, an order's expiry coming (OrderExpiryNoticed) and its expiry.
 */
export const notificationOf = (decoded: DecodedEvent): Notification | null => {
  const { event } = decoded;
  switch (event.type) {
    case 'ReservationSucceeded': {
      const { reservationId, couponId, orderId, userId, succeededAt } = event.data;
      return notification(
        decoded,
        userId,
        'RESERVATION_SUCCEEDED',
        { reservationId, couponId, orderId },
        succeededAt,
      );
    }
    case 'ReservationFailed': {
      const { reservationId, couponId, userId, code, message, failedAt } = event.data;
      return notification(
        decoded,
        userId,
        'RESERVATION_FAILED',
        { reservationId, couponId, code, message },
        failedAt,
      );
    }
    case 'ReservationCancelled': {
      const { reservationId, couponId, userId, cancelledAt } = event.data;
      return notification(decoded, userId, 'RESERVATION_CANCELLED', { reservationId, couponId }, cancelledAt);
    }
    case 'ReservationExpired': {
      const { reservationId, couponId, userId, reason, expiredAt } = event.data;
      return notification(
        decoded,
        userId,
        'RESERVATION_EXPIRED',
        { reservationId, couponId, reason },
        expiredAt,
      );
    }
    case 'OrderExpiryNoticed': {
      const { orderId, couponId, userId, validUntil, noticedAt } = event.data;
      return notification(decoded, userId, 'ORDER_EXPIRING', { orderId, couponId, validUntil }, noticedAt);
    }
    case 'OrderExpired': {
      const { orderId, couponId, userId, validUntil, expiredAt } = event.data;
      return notification(decoded, userId, 'ORDER_EXPIRED', { orderId, couponId, validUntil }, expiredAt);
    }
    case 'ReservationPlaced':
    case 'ReservationFiring':
    case 'OrderPlaced':
    case 'OrderCancelled':
    case 'OrderUsed':
    case 'SeckillAbandoned':
    case 'CouponCreated':
    case 'CouponStockAdded':
    case 'CouponSaleWindowChanged':
    case 'CouponDeactivated':
    case 'CouponReactivated':
    case 'CouponClosed':
    case 'UserRegistered':
    case 'UserPasswordChanged':
    case 'UserDisabled':
    case 'UserEnabled':
    case 'NotificationRead':
    case 'NotificationsReadUpTo':
      return null;
    default:
      return assertNever(event);
  }
};

/** A buyer's read mark, from their notification stream, or null for every other event. */
export type ReadMark =
  | { readonly kind: 'one'; readonly userId: string; readonly notificationId: string }
  | { readonly kind: 'upTo'; readonly userId: string; readonly upTo: bigint };

const positionOf = (text: string): bigint => {
  if (!/^\d{1,20}$/.test(text)) throw new Error(`upToPosition ${JSON.stringify(text)} is not a position`);
  return BigInt(text);
};

export const readMarkOf = ({ event }: DecodedEvent): ReadMark | null => {
  if (event.type === 'NotificationRead')
    return { kind: 'one', userId: event.data.userId, notificationId: event.data.notificationId };
  if (event.type === 'NotificationsReadUpTo')
    return { kind: 'upTo', userId: event.data.userId, upTo: positionOf(event.data.upToPosition) };
  return null;
};

/**
 * The buyer whose notifications an event changes, or null: notifications live with their buyer (shard and partition
 * by buyer, like orders), read marks with them.
 */
export const buyerOfNotificationEvent = (decoded: DecodedEvent): string | null => {
  const { event } = decoded;
  // Read marks are routed before they are parsed: a malformed one is set aside by the projection, not the relay.
  if (event.type === 'NotificationRead' || event.type === 'NotificationsReadUpTo') return event.data.userId;
  return notificationOf(decoded)?.userId ?? null;
};
