import type { RequestHandler } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';
import { routeLabelOf } from './routing';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** A method label from a fixed set: Node accepts some thirty methods, each would be a new series. */
export const methodLabel = (method: string | undefined): string =>
  method !== undefined && METHODS.has(method) ? method : 'OTHER';

/** Requests answered, by `method`, `route` (template) and `status` (counter). */
export const HTTP_REQUESTS_TOTAL = 'couponkill_http_requests_total';
/** Request latency in seconds, by `method` and `route` (histogram). */
export const HTTP_REQUEST_DURATION_SECONDS = 'couponkill_http_request_duration_seconds';

/** The HTTP series, created once per registry whichever entry point asks first. */
export const httpSeries = (registry: Registry) => ({
  requests:
    (registry.getSingleMetric(HTTP_REQUESTS_TOTAL) as Counter<'method' | 'route' | 'status'> | undefined) ??
    new Counter({
      name: HTTP_REQUESTS_TOTAL,
      help: 'HTTP requests by method, route template and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
  latency:
    (registry.getSingleMetric(HTTP_REQUEST_DURATION_SECONDS) as Histogram<'method' | 'route'> | undefined) ??
    new Histogram({
      name: HTTP_REQUEST_DURATION_SECONDS,
      help: 'HTTP request latency by method and route template',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
});

/**
 * Request counts and latency. Every label comes from a bounded set: the route template recorded when a route
 * matched (routing.ts) or `unmatched`, a known method or `OTHER`, and the status code the API chose.
 */
export const httpMetrics = (registry: Registry): RequestHandler => {
  const { requests, latency } = httpSeries(registry);
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = routeLabelOf(res.locals);
      const method = methodLabel(req.method);
      requests.inc({ method, route, status: res.statusCode });
      latency.observe({ method, route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
};
