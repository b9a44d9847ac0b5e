import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The operator's own Prometheus metrics, on a registry of its own (served at /metrics). */
export function createOperatorMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    reconciles: new Counter({
      name: 'couponkill_operator_reconcile_total',
      help: 'Seckill reconciles by result (success, error, requeue)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    reconcileErrors: new Counter({
      name: 'couponkill_operator_reconcile_errors_total',
      help: 'Seckill reconciles that failed and were requeued with back-off',
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: 'couponkill_operator_reconcile_duration_seconds',
      help: 'Time one Seckill reconcile took',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'couponkill_operator_workqueue_depth',
      help: 'Seckill keys waiting to be reconciled',
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'couponkill_operator_leader',
      help: '1 while this replica holds the leader Lease',
      registers: [registry],
    }),
  };
}

export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;
