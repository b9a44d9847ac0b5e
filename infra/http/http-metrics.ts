import type { RequestHandler } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Request counts and latency by method, route template and status. */
export const httpMetrics = (registry: Registry): RequestHandler => {
  // One process may serve both APIs (all-in-one): they share the series, told apart by route.
  const requests =
    (registry.getSingleMetric('http_requests_total') as Counter<'method' | 'route' | 'status'> | undefined) ??
    new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
  const latency =
    (registry.getSingleMetric('http_request_duration_seconds') as
      Histogram<'method' | 'route'> | undefined) ??
    new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by method and route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const matched = req.route as { path?: unknown } | undefined;
      const route = typeof matched?.path === 'string' ? `${req.baseUrl}${matched.path}` : 'unmatched';
      requests.inc({ method: req.method, route, status: res.statusCode });
      latency.observe({ method: req.method, route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
};
