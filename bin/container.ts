import { Container } from 'inversify';
import type { Config } from '../infra/config/config';
import { createLogger } from '../infra/logging/logger';
import { createMetricsRegistry } from '../infra/metrics/metrics-registry';
import { bindReadSide } from './bindings/read-side';
import { bindUserAdmission } from './bindings/user-admission';
import { bindWriteSide } from './bindings/write-side';
import { TOKENS } from './tokens';

/**
 * The composition root: each process (whatever roles it runs, the CLI included) builds exactly one of these, once;
 * roles resolve only what they use, and nothing outside bin/ reaches for it.
 */
export const createContainer = (config: Config, role: string): Container => {
  const container = new Container();
  container.bind(TOKENS.Config).toConstantValue(config);
  container.bind(TOKENS.Logger).toConstantValue(createLogger(config.logLevel, role, role === 'cli' ? 2 : 1));
  container.bind(TOKENS.Metrics).toConstantValue(createMetricsRegistry(role));
  bindWriteSide(container);
  bindReadSide(container);
  bindUserAdmission(container);
  return container;
};
