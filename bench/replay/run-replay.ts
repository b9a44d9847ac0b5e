import { join } from 'node:path';
import { BenchProcess } from '../bench-process';
import { CLI } from '../paths';

export interface ReplayMeasurement {
  readonly events: number;
  readonly wallSeconds: number;
  /** Events rebuilt per second, all read models together (each reads every event). */
  readonly eventsPerSecond: number;
  readonly projections: readonly {
    readonly projection: string;
    readonly seconds: number;
    readonly eventsPerSecond: number;
  }[];
  readonly peakRssBytes: number;
}

interface ReplayReport {
  readonly projection: string;
  readonly events: number;
  readonly seconds: number;
}

/** Times `couponkill replay` (every read model, from position 0) as a user runs it. */
export const runReplay = async (env: NodeJS.ProcessEnv, logDir: string): Promise<ReplayMeasurement> => {
  const started = Date.now();
  const replay = BenchProcess.start(
    'replay',
    [CLI, '--no-dotenv', 'replay', '--projection', 'all'],
    env,
    join(logDir, 'replay.log'),
    'pipe',
  );
  let output = '';
  replay.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await replay.exited;
  const wallSeconds = (Date.now() - started) / 1000;
  if (code !== 0) throw new Error(`replay exited with ${String(code)} (see ${logDir}/replay.log)`);
  const reports = JSON.parse(output) as ReplayReport[];
  const events = reports[0]?.events ?? 0;
  return {
    events,
    wallSeconds,
    eventsPerSecond: events / wallSeconds,
    projections: reports.map((r) => ({
      projection: r.projection,
      seconds: r.seconds,
      eventsPerSecond: r.events / r.seconds,
    })),
    peakRssBytes: replay.peakRssBytes(),
  };
};
