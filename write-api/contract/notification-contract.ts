import { z } from 'zod';
import type { NotificationReadResult, NotificationsReadResult } from '../../commands/notification-handlers';
import { positionString, uuidString, type ApiOperation, type Same } from '../../infra/http/openapi';

export const notificationIdParam = z.strictObject({
  notificationId: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a notification id')
    .meta({ description: "the notification's id (`notificationId` in the read API)" }),
});

/** Marking one takes no fields: no body, or `{}`. */
export const markReadBody = z.strictObject({});

export const markAllReadBody = z.strictObject({
  upTo: z
    .string()
    .regex(/^\d{1,20}-[0-9a-f-]{36}$/, 'must be the cursor of a notification')
    .optional()
    .meta({
      description:
        'the `cursor` of the newest notification the buyer has seen: it and every older one (by position) become read. Absent: everything stored so far, notifications the buyer has not seen yet included',
    }),
});

export const notificationReadResult = z
  .strictObject({
    notificationId: uuidString,
    position: positionString.meta({
      description: 'where the mark was stored: pass it as `minPosition` to read the notification as read',
    }),
  })
  .meta({ id: 'NotificationReadResult', description: 'the mark, stored' });

export const notificationsReadResult = z
  .strictObject({
    upToPosition: positionString.meta({
      description: 'every notification of the buyer at or before this position is read',
    }),
    position: positionString.meta({
      description: 'where the mark was stored: pass it as `minPosition` to read the notifications as read',
    }),
  })
  .meta({ id: 'NotificationsReadResult', description: 'the mark, stored' });

const _one: Same<z.output<typeof notificationReadResult>, NotificationReadResult> = true;
const _all: Same<z.output<typeof notificationsReadResult>, NotificationsReadResult> = true;

export const markNotificationReadOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/notifications/:notificationId/read',
  operationId: 'markNotificationRead',
  summary: 'Mark a notification read',
  description:
    "The buyer's own notifications only: the mark is stored on the buyer's own stream, so it can never touch another buyer's (an id that is not one of theirs marks nothing). Marking twice is harmless.",
  tag: 'notifications',
  access: 'user',
  params: notificationIdParam,
  body: { schema: markReadBody, required: false, description: 'nothing, or `{}`' },
  answers: { 200: { description: 'marked', schema: notificationReadResult } },
  errors: ['DEPENDENCY_UNAVAILABLE', 'OVERLOADED'],
};

export const markAllNotificationsReadOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/notifications/read',
  operationId: 'markAllNotificationsRead',
  summary: 'Mark all notifications read',
  description:
    "The buyer's own: every notification up to `upTo` (or everything so far) becomes read, and stays read whatever arrives later.",
  tag: 'notifications',
  access: 'user',
  body: { schema: markAllReadBody, required: false, description: 'nothing, `{}`, or `{"upTo": cursor}`' },
  answers: { 200: { description: 'marked', schema: notificationsReadResult } },
  errors: ['DEPENDENCY_UNAVAILABLE', 'OVERLOADED'],
};
