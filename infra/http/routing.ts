import { Router, type Express, type RequestHandler } from 'express';
import { ApiError } from './api-error';

/**
 * Paths match exactly: `/API/V1/…` and a trailing slash are other paths (404), so a route has one spelling and its
 * metric label (the template) can be recorded as it matches. Applies to an app and to each router.
 */
export const exactRouting = (app: Express): void => {
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
};

export const exactRouter = (): Router => Router({ caseSensitive: true, strict: true });

/**
 * No route answers OPTIONS, so none does: without this, express answers it by itself with a `200 text/plain` under
 * every router, unlike every other path with no route. A CORS preflight to the write API is answered before this
 * (infra/http/cors-policy.ts); any other OPTIONS gets here.
 */
export const noOptions: RequestHandler = (req, _res, next) => {
  next(
    req.method === 'OPTIONS' ? new ApiError(404, 'NOT_FOUND', `no route for OPTIONS ${req.path}`) : undefined,
  );
};

/**
 * Put first on every route: records the matched route's template (mount path + route path, e.g.
 * `/api/v1/orders/:orderId/cancel`) for the metrics, so their labels come from the routes, never from the caller.
 */
export const recordRoute: RequestHandler = (req, res, next) => {
  const route = req.route as { path?: unknown } | undefined;
  if (typeof route?.path === 'string')
    res.locals.route = route.path === '/' && req.baseUrl ? req.baseUrl : `${req.baseUrl}${route.path}`;
  next();
};

/** The template recorded for a request, or `unmatched` (404s, and requests refused before a route matched). */
export const routeLabelOf = (locals: Record<string, unknown>): string =>
  typeof locals.route === 'string' ? locals.route : 'unmatched';
