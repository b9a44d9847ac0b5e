import { SingleBar, Presets } from 'cli-progress';
import type { Config } from '../../infra/config/config';
import type { ProjectionName } from '../../projections/projection';
import { PROJECTIONS } from '../../projections/projections';
import { Replay, type ReplayReport } from '../../projections/replay';
import { createContainer } from '../container';
import { closeReadSide, closeWriteSide, openReadSide, openWriteSide } from '../lifecycle';
import { TOKENS } from '../tokens';

const withReadSide = async <T>(
  config: Config,
  task: (container: ReturnType<typeof createContainer>) => Promise<T>,
): Promise<T> => {
  const container = createContainer(config, 'cli');
  await openWriteSide(container);
  await openReadSide(container);
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
  shards: number,
  dryRun: boolean,
): Promise<ReplayReport[]> =>
  withReadSide(config, async (container) => {
    const replay = container.get(Replay);
    const reports: ReplayReport[] = [];
    for (const name of names) {
      const bar = new SingleBar(
        {
          format: `${name.padEnd(8)} |{bar}| {percentage}% | {value}/{total} positions | {speed} ev/s | ETA {eta_formatted}`,
          hideCursor: true,
        },
        Presets.shades_classic,
      );
      const started = Date.now();
      bar.start(1, 0, { speed: 0 });
      const report = await replay.run(PROJECTIONS[name], shards, dryRun, ({ done, total }) => {
        bar.setTotal(Math.max(total, 1));
        bar.update(done, { speed: Math.round(done / Math.max((Date.now() - started) / 1000, 0.001)) });
      });
      bar.update(bar.getTotal());
      bar.stop();
      reports.push(report);
      process.stderr.write(
        `${name}: ${report.dryRun ? 'would write' : 'replayed'} ${report.events} events into ${report.shards} shards ` +
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

export const printStream = (config: Config, streamId: string): Promise<number> =>
  withReadSide(config, async (container) => {
    const events = await container.get(TOKENS.EventStore).readStream(streamId);
    for (const e of events) {
      process.stdout.write(
        `${JSON.stringify({ position: e.position.toString(), revision: e.revision.toString(), type: e.type, schemaVersion: e.schemaVersion, recordedAt: e.recordedAt, data: e.data, metadata: e.metadata })}\n`,
      );
    }
    return events.length;
  });
