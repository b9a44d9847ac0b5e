import { setTimeout as sleep } from 'node:timers/promises';
import { PROJECTION_NAMES } from '../../projections/projection';
import { PORTS } from '../bench-env';
import type { BenchProcess } from '../bench-process';
import { CpuAccounting, type CpuWindow } from '../cpu-usage';
import type { ScalingBuild } from './scaling-build';
import { startRole, waitReady } from './start-role';

/** Lag is polled this often: the resolution of the drain time, small beside drains of seconds to minutes. */
const POLL_MS = 100;

/** What both builds' `GET /api/v1/projections/lag` answer, as far as the drain needs it. */
interface LagJson {
  readonly head: string;
  /** Events the slowest read model (the slowest partition of it) is behind the head. */
  readonly maxLag: number;
  /** Per read model: events its slowest partition is behind the head. */
  readonly projections: Record<string, { readonly lag: number }>;
}

export interface DrainSpec {
  readonly build: ScalingBuild;
  readonly replicas: number;
  /** Names the configuration's processes (`projector-<label>-<i>`) and consumers. */
  readonly label: string;
  /** The configuration's environment: databases, key prefix, secrets. */
  readonly env: NodeJS.ProcessEnv;
  readonly logDir: string;
  /** The read-api already serving this configuration's lag, and where. */
  readonly readApi: BenchProcess;
  readonly lagUrl: string;
  /** The store's head: the drain ends when every read model has applied up to it. */
  readonly head: bigint;
  readonly timeoutMs: number;
}

export interface DrainMeasurement {
  /** Start → every replica answering `/readyz` (s). */
  readonly readySeconds: number;
  /** Start → lag first below the head: every read model, every partition of it, applied something (s). */
  readonly firstAppliedSeconds: number | null;
  /** Start → lag 0 for every read model (s). */
  readonly drainSeconds: number;
  /** Start → lag 0, per read model (s): the slowest one sets `drainSeconds`. */
  readonly readModelSeconds: Record<string, number>;
  readonly cpu: CpuWindow;
  /** Largest peak RSS among the replicas (bytes). */
  readonly projectorPeakRssBytes: number;
}

const readLag = async (url: string): Promise<LagJson | null> => {
  try {
    const response = await fetch(url);
    return response.ok ? ((await response.json()) as LagJson) : null;
  } catch {
    return null;
  }
};

/** Every read model the read-api serves has a live generation that has applied the whole store. */
const drained = (lag: LagJson): boolean =>
  lag.maxLag === 0 && Object.keys(lag.projections).length === PROJECTION_NAMES.length;

/**
 * Starts `replicas` projector processes on a bus that already holds the whole store and times them until every read
 * model's lag is 0, polling the read-api's lag; the clock starts before the first process is spawned, so start-up and
 * the replicas sharing out the partitions are part of the time. The replicas are stopped before it returns.
 */
export const drainBacklog = async (spec: DrainSpec): Promise<DrainMeasurement> => {
  const { build, replicas, label } = spec;
  const started = Date.now();
  const projectors = Array.from({ length: replicas }, (_, i) =>
    startRole(build, {
      role: 'projector',
      name: `projector-${label}-${String(i + 1)}`,
      port: PORTS.scalingProjectorOps + i,
      // Each replica its own member of the consumer groups, as separate pods would be.
      env: { ...spec.env, COUPONKILL_CONSUMER_NAME: `bench-${label}-${String(i + 1)}` },
      logDir: spec.logDir,
    }),
  );
  const cpu = new CpuAccounting(() => ({
    ...Object.fromEntries(projectors.map((p, i) => [`projector ${String(i + 1)}`, () => p.cpuSeconds()])),
    'read-api': () => spec.readApi.cpuSeconds(),
  }));
  cpu.begin();
  // Set from callbacks while the loop below polls: a replica that dies or never gets ready ends the drain at once.
  const status: { failure: Error | null } = { failure: null };
  const fail = (error: unknown): void => {
    status.failure ??= error instanceof Error ? error : new Error(String(error));
  };
  for (const p of projectors)
    void p.exited.then((code) => fail(new Error(`${p.name} exited with ${String(code)}`)));
  const readyAt = Promise.all(projectors.map((p, i) => waitReady(p, PORTS.scalingProjectorOps + i))).then(
    () => Date.now(),
    (error: unknown) => {
      fail(error);
      return null;
    },
  );
  try {
    let firstAppliedAt: number | null = null;
    const readModelAt: Record<string, number> = {};
    for (;;) {
      if (status.failure) throw status.failure;
      if (Date.now() - started > spec.timeoutMs)
        throw new Error(
          `${String(replicas)} ${build.design} projector(s) did not drain in ${spec.timeoutMs / 1000} s`,
        );
      const lag = await readLag(spec.lagUrl);
      const at = Date.now();
      if (lag && BigInt(lag.head) >= spec.head) {
        if (firstAppliedAt === null && lag.maxLag < Number(spec.head)) firstAppliedAt = at;
        for (const [name, { lag: behind }] of Object.entries(lag.projections))
          if (behind === 0) readModelAt[name] ??= at;
        if (drained(lag)) {
          const window = cpu.end();
          return {
            readySeconds: (((await readyAt) ?? at) - started) / 1000,
            firstAppliedSeconds: firstAppliedAt === null ? null : (firstAppliedAt - started) / 1000,
            drainSeconds: (at - started) / 1000,
            readModelSeconds: Object.fromEntries(
              Object.entries(readModelAt).map(([name, doneAt]) => [name, (doneAt - started) / 1000]),
            ),
            cpu: window,
            projectorPeakRssBytes: Math.max(...projectors.map((p) => p.peakRssBytes())),
          };
        }
      }
      await sleep(POLL_MS);
    }
  } finally {
    await Promise.all(projectors.map((p) => p.stop()));
  }
};
