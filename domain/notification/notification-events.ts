import type { DomainEvent } from '../shared/event';
import type { Upcaster } from '../shared/upcaster';

/**
 * A buyer's read marks on their notifications. Notifications themselves are not events: each is derived from the
 * event it tells about (a reservation's outcome, an order's expiry; projections/notifications/). What a buyer did with
 * them is theirs to say, so it is an event too, on the buyer's own stream, and a replay of the notifications read
 * model reproduces it exactly.
 */

/** The buyer read one notification (its id: the id of the event it was derived from). */
export type NotificationRead = DomainEvent<
  'NotificationRead',
  { userId: string; notificationId: string; readAt: string }
>;

/**
 * The buyer read everything up to a point: every notification derived from an event at or before global position
 * `upToPosition` (a decimal string: positions may pass 2^53).
 */
export type NotificationsReadUpTo = DomainEvent<
  'NotificationsReadUpTo',
  { userId: string; upToPosition: string; readAt: string }
>;

export type NotificationEvent = NotificationRead | NotificationsReadUpTo;

/** The schema version each notification event is written with today. */
export const NOTIFICATION_EVENT_VERSIONS: { readonly [T in NotificationEvent['type']]: number } = {
  NotificationRead: 1,
  NotificationsReadUpTo: 1,
};

export const NOTIFICATION_UPCASTERS: readonly Upcaster[] = [];

/** One stream per buyer: `notifications-<userId>`. */
export const NOTIFICATION_STREAM_PREFIX = 'notifications-';
export const notificationStreamId = (userId: string): string => `${NOTIFICATION_STREAM_PREFIX}${userId}`;
