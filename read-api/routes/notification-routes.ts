import type { RequestHandler, Router } from 'express';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import type { StreamTickets } from '../../infra/auth/stream-tickets';
import { principalOf } from '../../infra/http/request-context';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';
import type { NotificationFeed } from '../../projections/notifications/notification-feed';
import {
  parseCursor,
  type NotificationsQueries,
} from '../../projections/notifications/notifications-queries';
import { notificationsQuery, unreadCountQuery } from '../contract/notification-contract';
import { minPositionOf } from '../read-queries';
import {
  notificationStream,
  streamCredentials,
  streamExpiryOf,
  type StreamSettings,
} from './notification-stream';

export interface NotificationRouteDependencies {
  readonly queries: NotificationsQueries;
  readonly feed: NotificationFeed;
  readonly tokens: JwtTokens;
  readonly tickets: StreamTickets;
  readonly stream: StreamSettings;
}

/** The caller's own notifications: a page, the unread count, a stream ticket and the live stream. */
export const notificationRoutes = (
  deps: NotificationRouteDependencies,
  user: RequestHandler,
  buyerLimit: RequestHandler,
): Router => {
  const router = exactRouter();
  const withLimit =
    (authenticated: RequestHandler): RequestHandler =>
    (req, res, next) =>
      authenticated(req, res, (error?: unknown) => (error ? next(error) : buyerLimit(req, res, next)));
  // A ticket is made from a bearer token only, and opens the stream only.
  const bearer = withLimit(streamCredentials(deps.tokens, null));
  const bearerOrTicket = withLimit(streamCredentials(deps.tokens, deps.tickets));

  router.get('/notifications', recordRoute, user, async (req, res) => {
    const q = parseWith(notificationsQuery, req.query, 'query');
    res.json(
      await deps.queries.list(
        principalOf(res).userId,
        { cursor: q.cursor ? parseCursor(q.cursor) : null, limit: q.limit, unread: q.unread },
        minPositionOf(q.minPosition, req),
      ),
    );
  });

  router.get('/notifications/unread-count', recordRoute, user, async (req, res) => {
    const q = parseWith(unreadCountQuery, req.query, 'query');
    res.json({
      unreadCount: await deps.queries.unreadCount(principalOf(res).userId, minPositionOf(q.minPosition, req)),
    });
  });

  router.post('/notifications/stream-tickets', recordRoute, bearer, (_req, res) => {
    res.json(deps.tickets.issue(principalOf(res), streamExpiryOf(res)));
  });

  router.get('/notifications/stream', recordRoute, bearerOrTicket, notificationStream(deps));

  return router;
};
