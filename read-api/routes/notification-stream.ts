import { createSession } from 'better-sse';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { InvalidTokenError, type JwtTokens } from '../../infra/auth/jwt-tokens';
import type { StreamTickets } from '../../infra/auth/stream-tickets';
import { ApiError, unauthenticated } from '../../infra/http/api-error';
import { bearerToken } from '../../infra/http/bearer';
import { parseWith } from '../../infra/http/validation';
import type { FeedSink, NotificationFeed } from '../../projections/notifications/notification-feed';
import { parseCursor, type NotificationCursor } from '../../projections/notifications/notifications-queries';
import { notificationCursor, streamQuery } from '../contract/notification-contract';

export interface StreamSettings {
  /** A comment line this often while there is nothing to send. */
  readonly heartbeatMs: number;
}

/** What a stream may buffer for a client that does not read before it is closed (it resumes with Last-Event-ID). */
const MAX_BUFFERED_BYTES = 1 << 20;
/** What EventSource waits before reconnecting (the SSE `retry` field). */
const RECONNECT_MS = 1000;
/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** When the credential behind the request expires (epoch ms): set by `streamCredentials`. */
export const streamExpiryOf = (res: Response): number => Number(res.locals.credentialExpiresAtMs);

const invalid = (error: unknown, what: string): unknown =>
  error instanceof InvalidTokenError ? unauthenticated(`invalid ${what}: ${error.message}`) : error;

/**
 * Authentication of the stream routes, with the credential's expiry: the bearer token as on every route, or (when
 * `tickets` is given, for the stream itself) a stream ticket in the `ticket` query parameter, for a browser's
 * EventSource, which cannot send an `Authorization` header.
 */
export const streamCredentials =
  (tokens: JwtTokens, tickets: StreamTickets | null): RequestHandler =>
  (req: Request, res: Response, next: NextFunction): void => {
    try {
      const ticket = tickets && typeof req.query.ticket === 'string' ? req.query.ticket : null;
      if (ticket !== null && tickets) {
        let grant;
        try {
          grant = tickets.verify(ticket);
        } catch (error) {
          throw invalid(error, 'ticket');
        }
        res.locals.principal = grant.principal;
        res.locals.credentialExpiresAtMs = grant.expiresAtMs;
        return next();
      }
      const token = bearerToken(req.get('authorization'));
      if (!token) throw unauthenticated('a bearer token (or, for the stream, a ticket) is required');
      let verified;
      try {
        verified = tokens.verifyWithExpiry(token);
      } catch (error) {
        throw invalid(error, 'token');
      }
      res.locals.principal = verified.principal;
      res.locals.credentialExpiresAtMs = verified.expiresAtMs;
      next();
    } catch (error) {
      next(error);
    }
  };

/** Where the stream resumes: after `Last-Event-ID` (what EventSource sends on reconnecting), else `lastEventId`. */
const resumeAfter = (req: Request, fromQuery: string | undefined): NotificationCursor | null => {
  const header = req.get('last-event-id');
  const text =
    header !== undefined && header !== ''
      ? parseWith(notificationCursor, header, 'header Last-Event-ID')
      : fromQuery;
  return text === undefined ? null : parseCursor(text);
};

/**
 * `GET /api/v1/notifications/stream`: Server-Sent Events, framed by better-sse (headers, the `retry` field, event
 * fields, comment-line heartbeats, disconnect detection). The stream joins the process's one NotificationFeed, which
 * admits it (caps per buyer and per process), replays what it missed after `Last-Event-ID`, then sends the live ones:
 * `event: notification`, `id: <cursor>`, `data: <the notification as JSON>`. It is ended when the client goes, when
 * the credential behind it expires, when the feed closes it, or when the client stops reading (more than 1 MiB
 * waiting); a client resumes with `Last-Event-ID`.
 */
export const notificationStream =
  (deps: { readonly feed: NotificationFeed; readonly stream: StreamSettings }): RequestHandler =>
  async (req, res) => {
    const query = parseWith(streamQuery, req.query, 'query');
    const after = resumeAfter(req, query.lastEventId);
    const principal = res.locals.principal as { userId: string };
    const expiresAtMs = streamExpiryOf(res);
    const subscription = await deps.feed.open(principal.userId, after);
    // The client may have gone while the stream was admitted: its close event has passed.
    if (req.socket.destroyed || res.destroyed) {
      subscription.close();
      return;
    }
    // Nothing below throws into express: the head is sent once the session exists.
    const state = { ended: false, expiry: undefined as NodeJS.Timeout | undefined };
    const end = (reason: string): void => {
      if (state.ended) return;
      state.ended = true;
      clearTimeout(state.expiry);
      subscription.close();
      if (!res.writableEnded) res.end(`: ${reason.replace(/[\r\n]/g, ' ')}\n\n`);
    };
    res.once('close', () => end('closed'));
    let session;
    try {
      session = await createSession(req, res, {
        keepAlive: deps.stream.heartbeatMs,
        retry: RECONNECT_MS,
        trustClientEventId: false,
      });
    } catch {
      end('the stream could not start');
      return;
    }
    if (state.ended) return;
    state.expiry = setTimeout(
      () => end('the credential behind this stream expired; reconnect with a fresh one'),
      Math.min(MAX_TIMER_MS, Math.max(0, expiresAtMs - Date.now())),
    );
    const opened = session;
    const sink: FeedSink = {
      send: (notifications) => {
        if (state.ended || !opened.isConnected) return;
        for (const notification of notifications)
          opened.push(notification, 'notification', notification.cursor);
        if (res.writableLength > MAX_BUFFERED_BYTES) end('the client is not reading; reconnect to resume');
      },
      close: (reason) => end(reason),
    };
    await subscription.start(sink);
  };

/** The error a refused stream answers with (read-api/error-mapping.ts). */
export const streamRefusal = (scope: 'process' | 'user', message: string): ApiError =>
  scope === 'user'
    ? new ApiError(429, 'TOO_MANY_STREAMS', message, undefined, { 'Retry-After': '5' })
    : new ApiError(503, 'OVERLOADED', message, undefined, { 'Retry-After': '1' });
