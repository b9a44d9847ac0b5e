import { invalid } from '../shared/domain-error';
import type { NotificationRead, NotificationsReadUpTo } from './notification-events';

/** Notification ids are the ids of the events they come from: lowercase UUIDs. */
export const NOTIFICATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A global position fits an unsigned 64-bit integer. */
const MAX_POSITION = 2n ** 64n - 1n;

/**
 * Marking is a buyer's statement about their own notifications: it needs no state to decide (marking twice, or a
 * notification not projected yet, is harmless; the mark lands on the buyer's own stream, so it can never touch another
 * buyer's), only well-formed values. The read model applies the marks order-insensitively.
 */
export const markNotificationRead = (data: {
  userId: string;
  notificationId: string;
  now: Date;
}): NotificationRead => {
  if (!NOTIFICATION_ID.test(data.notificationId))
    throw invalid('notificationId', 'must be a notification id');
  return {
    type: 'NotificationRead',
    schemaVersion: 1,
    data: { userId: data.userId, notificationId: data.notificationId, readAt: data.now.toISOString() },
  };
};

/** Everything up to global position `upTo` is read (the buyer's "mark all read"). */
export const markNotificationsReadUpTo = (data: {
  userId: string;
  upTo: bigint;
  now: Date;
}): NotificationsReadUpTo => {
  if (data.upTo < 0n || data.upTo > MAX_POSITION) throw invalid('upTo', 'must be a position');
  return {
    type: 'NotificationsReadUpTo',
    schemaVersion: 1,
    data: { userId: data.userId, upToPosition: data.upTo.toString(), readAt: data.now.toISOString() },
  };
};
