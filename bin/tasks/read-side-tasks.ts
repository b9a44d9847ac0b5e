import type { Config } from '../../infra/config/config';
import type { ProjectionName } from '../../projections/projection';
import { PROJECTIONS } from '../../projections/projections';
import { Replay, type ReplayOptions, type ReplayReport } from '../../projections/replay';
import { createContainer } from '../container';
import { closeReadSide, closeWriteSide, openReadSide, openWriteSide } from '../lifecycle';
import { TOKENS } from '../tokens';
import { startProgress } from './progress';
import { withWriteSide } from './write-side-tasks';

const withReadSide = async <T>(
  config: Config,
  task: (container: ReturnType<typeof createContainer>) => Promise<T>,
): Promise<T> => {
  const container = createContainer(config, 'cli');
  await openWriteSide(container, { attempts: 1 });
  try {
    await openReadSide(container, { attempts: 1 });
  } catch (error) {
    await closeWriteSide(container);
    throw error;
  }
  try {
    return await task(container);
  } finally {
    await closeReadSide(container);
    await closeWriteSide(container);
  }
};

export const runReplay = (
  config: Config,
  names: readonly ProjectionName[],
  options: ReplayOptions,
): Promise<ReplayReport[]> =>
  withReadSide(config, async (container) => {
    const replay = container.get(Replay);
    const reports: ReplayReport[] = [];
    for (const name of names) {
      const progress = startProgress(name, 'positions');
      const report = await replay
        .run(PROJECTIONS[name], options, ({ done, total }) => progress.update(done, total))
        .finally(() => progress.stop());
      reports.push(report);
      process.stderr.write(
        `${name}: ${report.dryRun ? 'would write' : 'replayed'} ${report.events} events into ${report.shards} shards ` +
          `(${report.partitions} partitions, ${report.workers} workers) ` +
          `(${report.perShard.join(' / ')} kept per shard) in ${report.seconds.toFixed(1)} s` +
          `${report.generation === null ? '' : `, now live as generation ${report.generation}`}\n`,
      );
      if (report.deadLetters > 0)
        process.stderr.write(
          `${name}: ${report.deadLetters} events could not be applied and were set aside as dead letters:\n` +
            report.firstDeadLetters
              .map((d) => `  position ${d.position}, event ${d.eventId} (${d.type}): ${d.reason}\n`)
              .join(''),
        );
    }
    return reports;
  });

/** Needs the event store only (no read database). */
export const printStream = (config: Config, streamId: string): Promise<number> =>
  withWriteSide(config, async (container) => {
    const events = await container.get(TOKENS.EventStore).readStream(streamId);
    for (const e of events) {
      process.stdout.write(
        `${JSON.stringify({ position: e.position.toString(), revision: e.revision.toString(), type: e.type, schemaVersion: e.schemaVersion, recordedAt: e.recordedAt, data: e.data, metadata: e.metadata })}\n`,
      );
    }
    return events.length;
  });
