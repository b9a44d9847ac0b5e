import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { errorHandler, notFound } from '../infra/http/error-handler';
import { toReadApiError } from '../read-api/error-mapping';
import { opsRoutes, type ReadinessCheck } from '../infra/http/ops-routes';
import type { ProjectionLag } from '../projections/projection-lag';
import type { ConfigStatus } from '../infra/config/live-config';
import type { CircuitBreakers } from '../infra/resilience/circuit-breakers';

export interface OpsDependencies {
  readonly readiness: readonly ReadinessCheck[];
  /** Their states are part of readiness. */
  readonly breakers: CircuitBreakers;
  readonly registry: Registry;
  /** Served at /api/v1/projections/lag when the process has the read side (what KEDA and autoscalers poll). */
  readonly lag: ProjectionLag | null;
  readonly logger: Logger;
  /** Also serve the metric names of 0.1 on /metrics (COUPONKILL_METRICS_LEGACY_NAMES). */
  readonly legacyMetricNames: boolean;
  /** The live configuration's status, served at /configz (null: the process has no live configuration). */
  readonly configStatus?: (() => ConfigStatus) | null;
}

/**
 * The ops listener of every process: liveness, readiness (dependency names and errors), Prometheus metrics and
 * projection lag. It binds COUPONKILL_OPS_HOST (127.0.0.1 by default), never the public API ports.
 */
export const createOpsApp = ({
  readiness,
  breakers,
  registry,
  lag,
  logger,
  legacyMetricNames,
  configStatus = null,
}: OpsDependencies): Express => {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(opsRoutes(readiness, registry, () => breakers.reports(), legacyMetricNames));
  if (configStatus) {
    app.get('/configz', (_req, res) => {
      res.json(configStatus());
    });
  }
  if (lag) {
    app.get('/api/v1/projections/lag', async (_req, res) => {
      res.json(await lag.report());
    });
  }
  app.use(notFound);
  app.use(errorHandler(logger, toReadApiError));
  return app;
};
