import { Container } from 'inversify';
import type { Config } from '../infra/config/config';
import { createLogger } from '../infra/logging/logger';
import { createMetricsRegistry } from '../infra/metrics/metrics-registry';
import { bindReadSide } from '../projections/read-side-bindings';
import { bindWriteSide, TOKENS } from '../write-api/write-side-bindings';

/** Each process builds exactly one of these; roles resolve only what they use. */
export const createContainer = (config: Config, role: string): Container => {
  const container = new Container();
  container.bind(TOKENS.Config).toConstantValue(config);
  container.bind(TOKENS.Logger).toConstantValue(createLogger(config.logLevel, role));
  container.bind(TOKENS.Metrics).toConstantValue(createMetricsRegistry(role));
  bindWriteSide(container);
  bindReadSide(container);
  return container;
};
