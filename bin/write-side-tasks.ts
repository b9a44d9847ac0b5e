import { Container } from 'inversify';
import { systemContext } from '../commands/command-context';
import { GateRebuild } from '../commands/gate-rebuild';
import { ReservationReconciler } from '../commands/reservation-reconciler';
import { UserCommands } from '../commands/user-commands';
import type { Config } from '../infra/config/config';
import { createLogger } from '../infra/logging/logger';
import { createMetricsRegistry } from '../infra/metrics/metrics-registry';
import { bindWriteSide, TOKENS } from '../write-api/write-side-bindings';
import { closeWriteSide, openWriteSide } from '../write-api/write-side-lifecycle';

/** The CLI's composition root: the write side's graph, opened for one task and closed after it. */
const withWriteSide = async <T>(config: Config, task: (container: Container) => Promise<T>): Promise<T> => {
  const container = new Container();
  container.bind(TOKENS.Config).toConstantValue(config);
  container.bind(TOKENS.Logger).toConstantValue(createLogger(config.logLevel, 'cli'));
  container.bind(TOKENS.Metrics).toConstantValue(createMetricsRegistry('cli'));
  bindWriteSide(container);
  await openWriteSide(container);
  try {
    return await task(container);
  } finally {
    await closeWriteSide(container);
  }
};

const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

export const runMigrate = (config: Config): Promise<void> =>
  withWriteSide(config, () => {
    print({ migrated: true });
    return Promise.resolve();
  });

export const runGateRebuild = (config: Config): Promise<void> =>
  withWriteSide(config, async (container) => print(await container.get(GateRebuild).run()));

export const runReconcileOnce = (config: Config): Promise<void> =>
  withWriteSide(config, async (container) => print(await container.get(ReservationReconciler).sweep()));

export const runUserCreate = (
  config: Config,
  options: { username: string; password: string; admin: boolean },
): Promise<void> =>
  withWriteSide(config, async (container) => {
    const identity = await container
      .get(UserCommands)
      .register(options.username, options.password, options.admin ? 'admin' : 'user', systemContext('cli'));
    print(identity);
  });
