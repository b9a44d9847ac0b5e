import { Router, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { withLegacyNames } from '../metrics/legacy-names';
import type { BreakerReport } from '../resilience/dependency-breaker';

export interface ReadinessCheck {
  readonly name: string;
  readonly check: () => Promise<void>;
}

interface CheckResult {
  readonly status: 'up' | 'down';
  readonly message?: string;
}

const CHECK_TIMEOUT_MS = 2000;

const withinTimeout = (check: () => Promise<void>): Promise<void> =>
  Promise.race([
    check(),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS).unref(),
    ),
  ]);

/** Liveness: the process answers. Static, so it may also be served on public ports. */
export const healthz: RequestHandler = (_req, res) => {
  res.status(200).json({ status: 'ok' });
};

/**
 * Liveness, readiness (each dependency answers, by name, with its error; each circuit breaker's state, with the
 * failure that opened it) and Prometheus metrics: for the ops listener only, since names and errors describe the
 * inside of the system. A process is not ready while a check fails or a breaker is not closed (each breaker probes
 * its dependency by itself, so readiness comes back without traffic). With `legacyMetricNames`, /metrics also
 * serves every renamed family under its name of 0.1 (infra/metrics/legacy-names.ts; COUPONKILL_METRICS_LEGACY_NAMES).
 */
export const opsRoutes = (
  checks: readonly ReadinessCheck[],
  registry: Registry,
  breakers: () => Readonly<Record<string, BreakerReport>> = () => ({}),
  legacyMetricNames = false,
): Router => {
  const router = Router();

  router.get('/healthz', healthz);

  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withinTimeout(check);
          return [name, { status: 'up' }] as [string, CheckResult];
        } catch (error) {
          return [
            name,
            { status: 'down', message: error instanceof Error ? error.message : String(error) },
          ] as [string, CheckResult];
        }
      }),
    );
    const breakerStates = breakers();
    const ready =
      results.every(([, r]) => r.status === 'up') &&
      Object.values(breakerStates).every((breaker) => breaker.state === 'closed');
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unavailable',
      checks: Object.fromEntries<CheckResult>(results),
      breakers: breakerStates,
    });
  });

  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    const text = await registry.metrics();
    res.send(legacyMetricNames ? withLegacyNames(text) : text);
  });

  return router;
};
