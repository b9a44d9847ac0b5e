import type { Container } from 'inversify';
import { systemContext } from '../../commands/command-context';
import { GateRecovery } from '../../commands/gate-recovery';
import { ReservationReconciler } from '../../commands/reservation-reconciler';
import { UserHandlers } from '../../commands/user-handlers';
import type { Config } from '../../infra/config/config';
import { createContainer } from '../container';
import { closeWriteSide, openWriteSide } from '../lifecycle';

/** Runs one CLI task on the process's one container, with the write side opened for it and closed after. */
const withWriteSide = async <T>(config: Config, task: (container: Container) => Promise<T>): Promise<T> => {
  const container = createContainer(config, 'cli');
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
  withWriteSide(config, async (container) => print(await container.get(GateRecovery).rebuildAll()));

export const runReconcileOnce = (config: Config): Promise<void> =>
  withWriteSide(config, async (container) => print(await container.get(ReservationReconciler).sweep()));

export const runUserCreate = (
  config: Config,
  options: { username: string; password: string; admin: boolean },
): Promise<void> =>
  withWriteSide(config, async (container) => {
    const identity = await container
      .get(UserHandlers)
      .register(options.username, options.password, options.admin ? 'admin' : 'user', systemContext('cli'));
    print(identity);
  });
