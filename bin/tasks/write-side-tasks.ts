import type { Container } from 'inversify';
import { systemContext } from '../../commands/command-context';
import { GateRecovery } from '../../commands/gate-recovery';
import { ReservationReconciler } from '../../commands/reservation-reconciler';
import { UserHandlers } from '../../commands/user-handlers';
import type { Config } from '../../infra/config/config';
import { createContainer } from '../container';
import { closeWriteSide, openWriteSide } from '../lifecycle';
import { startProgress } from './progress';

/**
 * Runs one CLI task on the process's one container, with the write side opened for it and closed after. A task tries
 * its dependencies once: one that is down fails it at once with a line naming the setting (lifecycle.ts).
 */
export const withWriteSide = async <T>(
  config: Config,
  task: (container: Container) => Promise<T>,
): Promise<T> => {
  const container = createContainer(config, 'cli');
  await openWriteSide(container, { attempts: 1 });
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

/** Progress on stderr while the event store is read; the report as JSON on stdout. */
export const runGateRebuild = (config: Config): Promise<void> =>
  withWriteSide(config, async (container) => {
    const progress = startProgress('rebuild-stock', 'positions');
    const started = Date.now();
    const report = await container
      .get(GateRecovery)
      .rebuildAll((done, total) => progress.update(done, total))
      .finally(() => progress.stop());
    process.stderr.write(
      `rebuild-stock: loaded ${report.coupons} coupons (${report.liveOrders} live orders) from ${report.events} events ` +
        `in ${((Date.now() - started) / 1000).toFixed(1)} s` +
        (report.busy > 0 ? `; ${report.busy} left to another process recovering them` : '') +
        (report.lost > 0 ? `; ${report.lost} lost again while loading (the reconciler retries them)` : '') +
        '\n',
    );
    print(report);
  });

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
