import { collectDefaultMetrics, Registry } from 'prom-client';

/** One registry per process, created by its composition root. */
export const createMetricsRegistry = (processRole: string): Registry => {
  const registry = new Registry();
  registry.setDefaultLabels({ role: processRole });
  collectDefaultMetrics({ register: registry });
  return registry;
};
