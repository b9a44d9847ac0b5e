import { z } from 'zod';
import { SUBJECT_PATTERN } from '../../infra/auth/jwt-tokens';
import {
  positionString,
  uuidString,
  RATE_LIMIT_ANSWER_HEADERS,
  type ApiOperation,
} from '../../infra/http/openapi';
import type { NotificationKind } from '../../projections/notifications/notification-mapping';
import { CURSOR_PATTERN, type NotificationView } from '../../projections/notifications/notifications-queries';
import { minPositionHeader, position, READ_MODEL } from './request-parts';

/** A notification's place in the buyer's notifications: `<position>-<notificationId>`. */
export const notificationCursor = z
  .string()
  .regex(CURSOR_PATTERN, 'must be the cursor of a notification')
  .meta({ description: "a notification's `cursor`: `<position>-<notificationId>`" });

const READ_YOUR_WRITES =
  'A `position` a write returned (a read mark, say): the read waits (up to 2 s by default) until the read model has applied it, else answers `503 READ_MODEL_BEHIND`.';

export const notificationsQuery = z.strictObject({
  cursor: notificationCursor.optional().meta({ description: "the previous page's `nextCursor`" }),
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'items per page' }),
  unread: z
    .enum(['true', 'false'])
    .optional()
    .transform((value) => value === 'true')
    .meta({ description: '`true`: only the notifications not read yet' }),
  minPosition: position.optional().meta({ description: READ_YOUR_WRITES }),
});

export const unreadCountQuery = z.strictObject({
  minPosition: position.optional().meta({ description: READ_YOUR_WRITES }),
});

const common = {
  notificationId: uuidString.meta({
    description: 'the id of the event it comes from: stable across replays',
  }),
  userId: z.string().regex(SUBJECT_PATTERN),
  createdAt: z.iso.datetime().meta({ description: 'when the event it comes from happened' }),
  position: positionString.meta({ description: "the source event's global position" }),
  cursor: notificationCursor,
  read: z.boolean(),
};

const text = z.string();

const variant = <K extends NotificationKind, P extends z.ZodObject>(
  kind: K,
  description: string,
  payload: P,
) =>
  z
    .strictObject({ ...common, kind: z.literal(kind), payload })
    .meta({ id: `Notification_${kind}`, description });

export const notificationView = z
  .discriminatedUnion('kind', [
    variant(
      'RESERVATION_SUCCEEDED',
      'the reservation was fired and bought: `orderId` is the order',
      z.strictObject({ reservationId: uuidString, couponId: uuidString, orderId: uuidString }),
    ),
    variant(
      'RESERVATION_FAILED',
      "the reservation's purchase was refused: `code` is the seckill's refusal (SOLD_OUT, LIMIT_REACHED, …)",
      z.strictObject({ reservationId: uuidString, couponId: uuidString, code: text, message: text }),
    ),
    variant(
      'RESERVATION_CANCELLED',
      'the reservation was cancelled',
      z.strictObject({ reservationId: uuidString, couponId: uuidString }),
    ),
    variant(
      'RESERVATION_EXPIRED',
      'the reservation could not be fired (the sale window closed or the coupon went away first)',
      z.strictObject({ reservationId: uuidString, couponId: uuidString, reason: text }),
    ),
    variant(
      'ORDER_EXPIRING',
      'the order stops being usable at `validUntil`',
      z.strictObject({ orderId: uuidString, couponId: uuidString, validUntil: z.iso.datetime() }),
    ),
    variant(
      'ORDER_EXPIRED',
      "the order's validity ended before it was used",
      z.strictObject({ orderId: uuidString, couponId: uuidString, validUntil: z.iso.datetime() }),
    ),
  ])
  .meta({ id: 'Notification', description: 'a notification, by kind' });

// Every answer the schema allows is a NotificationView.
const _view = (v: z.output<typeof notificationView>): NotificationView => v;

export const notificationPage = z
  .strictObject({
    items: z.array(notificationView),
    nextCursor: notificationCursor
      .nullable()
      .meta({ description: 'pass it as `cursor` for the next page; null on the last' }),
  })
  .meta({ id: 'NotificationPage', description: "the buyer's notifications, newest first" });

export const unreadCount = z
  .strictObject({ unreadCount: z.number().int().min(0) })
  .meta({ id: 'UnreadCount', description: 'notifications the buyer has not read' });

export const streamTicket = z
  .strictObject({
    ticket: z.string().meta({ description: 'pass it as `ticket` to `GET /api/v1/notifications/stream`' }),
    expiresIn: z.number().int().min(1).meta({ description: 'seconds it may be used to connect' }),
  })
  .meta({ id: 'StreamTicket', description: 'a short-lived credential for the notification stream' });

export const streamQuery = z.strictObject({
  ticket: z.string().min(1).max(4096).optional().meta({
    description:
      'a stream ticket (`POST /api/v1/notifications/stream-tickets`), for clients that cannot send `Authorization` (EventSource); without it, the bearer token',
  }),
  lastEventId: notificationCursor.optional().meta({
    description:
      'resume after this notification (for a new EventSource, which cannot set the header); the `Last-Event-ID` header wins',
  }),
});

export const lastEventIdHeader = z.object({
  'Last-Event-ID': notificationCursor.optional().meta({
    description:
      'the `id` of the last event received (EventSource sends it when it reconnects): what came after it is sent first',
  }),
});

export const listNotificationsOperation: ApiOperation = {
  method: 'get',
  route: '/api/v1/notifications',
  operationId: 'listNotifications',
  summary: 'List my notifications',
  description:
    "The caller's own notifications, newest first, a page at a time; `unread=true` for unread ones only.",
  tag: 'notifications',
  access: 'user',
  query: notificationsQuery,
  headers: minPositionHeader,
  answers: {
    200: {
      description: 'a page of notifications',
      schema: notificationPage,
      headers: RATE_LIMIT_ANSWER_HEADERS,
    },
  },
  errors: READ_MODEL,
};

export const unreadCountOperation: ApiOperation = {
  method: 'get',
  route: '/api/v1/notifications/unread-count',
  operationId: 'unreadNotificationCount',
  summary: 'Count my unread notifications',
  description: "How many of the caller's notifications are not read.",
  tag: 'notifications',
  access: 'user',
  query: unreadCountQuery,
  headers: minPositionHeader,
  answers: {
    200: { description: 'the count', schema: unreadCount, headers: RATE_LIMIT_ANSWER_HEADERS },
  },
  errors: READ_MODEL,
};

export const streamTicketOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/notifications/stream-tickets',
  operationId: 'notificationStreamTicket',
  summary: 'Get a notification stream ticket',
  description:
    "A credential for `GET /api/v1/notifications/stream?ticket=…` (a browser's EventSource cannot send the bearer token): good for connecting for a short while (60 s by default), only to the caller's own stream, and the stream it opens ends when the bearer token it was made from expires.",
  tag: 'notifications',
  access: 'user',
  answers: { 200: { description: 'the ticket', schema: streamTicket, headers: RATE_LIMIT_ANSWER_HEADERS } },
  errors: ['RATE_LIMITED', 'INTERNAL_ERROR'],
};

export const notificationStreamOperation: ApiOperation = {
  method: 'get',
  route: '/api/v1/notifications/stream',
  operationId: 'notificationStream',
  summary: 'Stream my notifications (Server-Sent Events)',
  description:
    "The caller's new notifications as they are decided, as Server-Sent Events: `event: notification`, `id:` the notification's cursor, `data:` the notification (JSON, as in the list). A comment line every 15 s (by default) keeps proxies from closing it. Authenticated by the bearer token, or by `ticket`. Resumable: with `Last-Event-ID` (or `lastEventId`) the notifications after that one come first, exactly, then the live ones; without, only those from now on. The server ends the stream when the credential behind it expires, when the read model is rebuilt, and when it stops: reconnect with `Last-Event-ID` to resume.",
  tag: 'notifications',
  access: 'user',
  query: streamQuery,
  headers: lastEventIdHeader,
  answers: {
    200: {
      description: 'the event stream (open until either side closes it)',
      contentType: 'text/event-stream',
      schema: z.string().meta({ description: 'text/event-stream (WHATWG HTML, Server-sent events)' }),
      headers: RATE_LIMIT_ANSWER_HEADERS,
    },
  },
  errors: [
    'TOO_MANY_STREAMS',
    'RATE_LIMITED',
    'READ_MODEL_NOT_READY',
    'DEPENDENCY_UNAVAILABLE',
    'OVERLOADED',
    'INTERNAL_ERROR',
  ],
};
