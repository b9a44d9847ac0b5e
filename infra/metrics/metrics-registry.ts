import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { packageVersion } from '../package-version';

/**
 * Always 1, labelled with the running release's `version` and Node's `node` version (gauge): a canary and its stable
 * release show apart on dashboards.
 */
export const BUILD_INFO = 'couponkill_build_info';

/**
 * One registry per process, created by its composition root: the process role as a default label on every series,
 * the client library's default `process_*`/`nodejs_*` metrics under their standard names, and the build info.
 */
export const createMetricsRegistry = (processRole: string): Registry => {
  const registry = new Registry();
  registry.setDefaultLabels({ role: processRole });
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: BUILD_INFO,
    help: 'Always 1: the release (version) and the Node.js version (node) this process runs',
    labelNames: ['version', 'node'],
    registers: [registry],
  }).set({ version: packageVersion(), node: process.version }, 1);
  return registry;
};
