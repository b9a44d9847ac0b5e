import { deleteKeysMatching } from '../../infra/redis/delete-keys-matching';
import type { BenchEnv } from '../bench-env';
import { PORTS } from '../bench-env';
import type { BenchOptions } from '../bench-options';
import { auditReadModels } from '../read-model-audit';
import { drainBacklog } from './drain-backlog';
import { publishBacklog, storeHead, type ScalingDatabases } from './publish-backlog';
import { currentBuild, previousBuild, SCALING_PARTITIONS, type ScalingBuild } from './scaling-build';
import type { ProjectionScaling, ScalingRun } from './scaling-results';
import { listenerUrl, startRole, waitReady } from './start-role';

/** This build's replica counts, each measured on the same backlog. */
const REPLICAS = [1, 2, 4] as const;

export interface ScalingStage {
  readonly env: BenchEnv;
  /** The filled event store's database (on `env.mysqlUrl`). */
  readonly eventsDb: string;
  readonly baselineBuild: BenchOptions['baselineBuild'];
  readonly logDir: string;
  /** Keep each configuration's Redis streams (`--keep`); otherwise they go as soon as it is measured. */
  readonly keep: boolean;
  readonly log: (message: string) => void;
}

/** Generous bounds that only catch a configuration that is stuck: 200 events/s would be far below either design. */
const timeoutFor = (events: bigint): number => 120_000 + Number(events) * 5;

/**
 * One configuration, from nothing: a fresh read catalog and key prefix, the read-api (for the lag), the relay run
 * until the whole store is on the bus and stopped, then `replicas` projectors timed until the lag is 0.
 */
const measure = async (
  stage: ScalingStage,
  build: ScalingBuild,
  replicas: number,
  head: bigint,
): Promise<ScalingRun> => {
  const { env, logDir } = stage;
  const label = `${build.design === 'partitioned' ? 'p' : 'v'}${String(replicas)}`;
  const databases: ScalingDatabases = {
    mysqlUrl: env.mysqlUrl,
    eventsDb: stage.eventsDb,
    catalogDb: env.databases.scalingRead(label),
  };
  const prefix = `${env.keyPrefix}s${label}`;
  const configEnv: NodeJS.ProcessEnv = {
    ...env.cliEnv('live'),
    COUPONKILL_EVENT_STORE_URL: `${env.mysqlUrl}/${databases.eventsDb}`,
    COUPONKILL_READ_DATABASE_URL: `${env.mysqlUrl}/${databases.catalogDb}`,
    COUPONKILL_REDIS_KEY_PREFIX: prefix,
    COUPONKILL_CONSUMER_NAME: `bench-${label}`,
  };
  const timeoutMs = timeoutFor(head);
  const readApi = startRole(build, {
    role: 'read-api',
    name: `read-api-${label}`,
    port: PORTS.scalingReadApiOps,
    env: configEnv,
    logDir,
  });
  try {
    await waitReady(readApi, PORTS.scalingReadApiOps);
    const published = await publishBacklog(
      build,
      { name: `relay-${label}`, port: PORTS.scalingRelayOps, env: configEnv, logDir },
      databases,
      head,
      timeoutMs,
    );
    stage.log(`scale-out ${label}: ${head} events on the bus in ${published.seconds.toFixed(1)} s; draining`);
    const drain = await drainBacklog({
      build,
      replicas,
      label,
      env: configEnv,
      logDir,
      readApi,
      lagUrl: `${listenerUrl(PORTS.scalingReadApiOps)}/api/v1/projections/lag`,
      head,
      timeoutMs,
    });
    const events = Number(head);
    const run: ScalingRun = {
      design: build.design,
      replicas,
      partitions: build.partitions,
      events,
      publishSeconds: published.seconds,
      ...drain,
      eventsPerSecond: events / drain.drainSeconds,
      audit:
        build.design === 'partitioned'
          ? await auditReadModels(
              `${env.mysqlUrl}/${databases.eventsDb}`,
              `${env.mysqlUrl}/${databases.catalogDb}`,
            )
          : null,
    };
    stage.log(
      `scale-out ${label}: ${run.eventsPerSecond.toFixed(0)} events/s (${drain.drainSeconds.toFixed(1)} s)`,
    );
    return run;
  } finally {
    await readApi.stop();
    // A configuration's streams hold the store several times over: gone before the next one is measured.
    if (!stage.keep) await deleteKeysMatching(env.redisUrl, `${prefix}*`);
  }
};

/**
 * The projection scale-out stage: projection throughput at saturation with 1, 2 and 4 projector replicas of this
 * build, and with the one replica of the design before partitioned projections when its build is there. Every
 * configuration drains the same store the same way, so their ratios are fair. A failing baseline build is reported as
 * not measured, with the error; a failure of this build fails the run.
 */
export const runProjectionScaling = async (stage: ScalingStage): Promise<ProjectionScaling> => {
  const head = await storeHead(stage.env.mysqlUrl, stage.eventsDb);
  let previous: ProjectionScaling['previous'];
  if ('missing' in stage.baselineBuild)
    previous = { measured: false, cause: 'no baseline build', reason: stage.baselineBuild.missing };
  else {
    const build = previousBuild(stage.baselineBuild.dir);
    try {
      const run = await measure(stage, build, 1, head);
      previous = { measured: true, dir: stage.baselineBuild.dir, commit: build.commit, run };
    } catch (error) {
      stage.log(`scale-out: the previous design's build failed: ${String(error)}`);
      previous = { measured: false, cause: 'baseline build failed', reason: String(error) };
    }
  }
  const current = currentBuild(PORTS.scalingReadApi);
  const runs: ScalingRun[] = [];
  for (const replicas of REPLICAS) runs.push(await measure(stage, current, replicas, head));
  return { events: Number(head), partitions: SCALING_PARTITIONS, runs, previous };
};
