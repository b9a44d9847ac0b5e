import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { measureRawInsert } from './baselines/raw-insert';
import { measureGateScript } from './baselines/redis-gate-benchmark';
import { parseBenchOptions, type BenchOptions } from './bench-options';
import { PORTS, prepareBenchEnv, type BenchEnv } from './bench-env';
import { BenchProcess } from './bench-process';
import { CouponKillSystem } from './couponkill-system';
import { CpuAccounting } from './cpu-usage';
import { LagSampler } from './lag-sampler';
import { runProjectionScaling } from './projection-scaling/run-scaling';
import { scalingAuditsPassed } from './projection-scaling/scaling-results';
import type { LoadPlan, LoadResult } from './load/load-plan';
import { runLoad } from './load/run-load';
import { BASELINE_SERVER } from './paths';
import { auditReadModels } from './read-model-audit';
import { fillEventStore } from './replay/fill-event-store';
import { runReplay } from './replay/run-replay';
import { renderReport, targetsOf } from './report';
import type { BenchResults } from './results';
import { checkSeckill } from './seckill-checks';

const log = (message: string): void => console.error(`bench: ${message}`);

interface Run {
  readonly options: BenchOptions;
  readonly env: BenchEnv;
  readonly logDir: string;
  readonly peakRss: Record<string, number>;
}

const planFor = (run: Run, name: string, url: string, length: Partial<LoadPlan>): LoadPlan => ({
  name,
  url,
  connections: run.options.connections,
  pipelining: run.options.pipelining,
  buyers: run.options.requests,
  repeatShare: run.options.repeatShare,
  jwt: { secret: run.env.jwtSecret, issuer: 'couponkill', audience: 'couponkill' },
  ...length,
});

/** One baseline server process, warmed up and measured with the same load generator settings as CouponKill. */
const measureHttpBaseline = async (
  run: Run,
  kind: 'bare' | 'express' | 'naive',
  port: number,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<LoadResult> => {
  const server = BenchProcess.start(
    `baseline-${kind}`,
    [BASELINE_SERVER, kind, String(port)],
    { PATH: process.env.PATH, ...extraEnv },
    join(run.logDir, `baseline-${kind}.log`),
  );
  try {
    const url = `http://127.0.0.1:${port}/api/v1/seckill/${extraEnv.BENCH_NAIVE_COUPON_ID ?? randomUUID()}`;
    await server.waitHealthy(url, { anyStatus: true });
    if (!run.options.quick)
      await runLoad(planFor(run, `${kind}-warmup`, url, { durationSeconds: 2 }), run.logDir);
    const { result, generatorPeakRssBytes } = await runLoad(
      planFor(run, kind, url, { durationSeconds: run.options.baselineSeconds }),
      run.logDir,
    );
    run.peakRss[`load generator (${kind})`] = generatorPeakRssBytes;
    log(`${kind}: ${result.requestsPerSecond.toFixed(0)} req/s`);
    return result;
  } finally {
    await server.stop();
    run.peakRss[`baseline ${kind}`] = server.peakRssBytes();
  }
};

const measureCouponKill = async (run: Run) => {
  const { options, env } = run;
  const system = new CouponKillSystem(env, run.logDir);
  try {
    await system.start();
    log('CouponKill processes are up');
    const seckillUrl = (couponId: string) => `${system.writeApiUrl}/api/v1/seckill/${couponId}`;
    if (!options.quick) {
      const warmup = await system.createCoupon({ name: 'Warm-up', totalStock: 20_000, perUserLimit: 1 });
      await runLoad(
        planFor(run, 'couponkill-warmup', seckillUrl(warmup), { durationSeconds: 3 }),
        run.logDir,
      );
    }
    const couponId = await system.createCoupon({
      name: 'Hot coupon',
      totalStock: options.stock,
      perUserLimit: 1,
    });
    const sampler = new LagSampler(`${system.readApiOpsUrl}/api/v1/projections/lag`);
    sampler.start();
    let generator: BenchProcess | undefined;
    const cpu = new CpuAccounting(() => ({
      ...system.cpuSources(),
      ...(generator ? { 'load generator (couponkill)': () => generator?.cpuSeconds() ?? 0 } : {}),
    }));
    const { result: load, generatorPeakRssBytes } = await runLoad(
      planFor(run, 'couponkill', seckillUrl(couponId), { amount: options.requests }),
      run.logDir,
      (started) => {
        generator = started;
        cpu.begin();
      },
    );
    const cpuDuringLoad = cpu.end();
    run.peakRss['load generator (couponkill)'] = generatorPeakRssBytes;
    const convergedAt = await sampler.waitConverged(load.finishedAtMs, 120_000);
    await sampler.stop();
    log(
      `seckill load done: ${load.accepted} accepted of ${load.responses}; converged: ${String(convergedAt !== null)}`,
    );
    const checks = await checkSeckill({
      eventStoreUrl: `${env.mysqlUrl}/${env.databases.events}`,
      redisUrl: env.redisUrl,
      keyPrefix: env.keyPrefix,
      couponId,
      stock: options.stock,
      perUserLimit: 1,
      distinctBuyers: load.distinctBuyers,
      accepted: load.accepted,
    });
    const audit = await auditReadModels(
      `${env.mysqlUrl}/${env.databases.events}`,
      `${env.mysqlUrl}/${env.databases.read}`,
    );
    return {
      load,
      acceptedPerSecond: load.accepted / Math.max(load.acceptWindowSeconds, 0.001),
      lagDuringLoad: sampler.summary(load.startedAtMs, load.finishedAtMs),
      lagAfterLoad: sampler.summary(load.finishedAtMs, convergedAt ?? Date.now()),
      convergeSeconds: convergedAt === null ? null : (convergedAt - load.finishedAtMs) / 1000,
      cpuDuringLoad,
      checks,
      audit,
    };
  } finally {
    await system.stop();
    Object.assign(run.peakRss, system.peakRss());
  }
};

const measureReplay = async (run: Run) => {
  const { env } = run;
  const url = `${env.mysqlUrl}/${env.databases.replayEvents}`;
  let reported = 0;
  const fill = await fillEventStore(url, run.options.replayEvents, (done) => {
    if (done - reported >= 100_000) log(`replay store: ${(reported = done)} events`);
  });
  log(`replay store: ${fill.events} events in ${fill.seconds.toFixed(1)} s; replaying`);
  const replay = await runReplay(env.cliEnv('replay'), run.logDir);
  run.peakRss.replay = replay.peakRssBytes;
  const audit = await auditReadModels(url, `${env.mysqlUrl}/${env.databases.replayRead}`);
  return { fill, replay, audit };
};

/**
 * The projection scale-out stage, on the replay store when it has the events asked for (a store is immutable once
 * filled, and filling is most of a run's time), on a store of its own otherwise.
 */
const measureProjectionScaling = async (run: Run) => {
  const { env, options } = run;
  let eventsDb = env.databases.replayEvents;
  if (options.scalingEvents !== options.replayEvents) {
    eventsDb = env.databases.scalingEvents;
    let reported = 0;
    const fill = await fillEventStore(`${env.mysqlUrl}/${eventsDb}`, options.scalingEvents, (done) => {
      if (done - reported >= 100_000) log(`scale-out store: ${(reported = done)} events`);
    });
    log(`scale-out store: ${fill.events} events in ${fill.seconds.toFixed(1)} s`);
  }
  return runProjectionScaling({
    env,
    eventsDb,
    baselineBuild: options.baselineBuild,
    logDir: run.logDir,
    keep: options.keep,
    log,
  });
};

const main = async (): Promise<number> => {
  const options = parseBenchOptions(process.argv.slice(2));
  const env = prepareBenchEnv();
  const logDir = mkdtempSync(join(tmpdir(), `couponkill-bench-${env.runId}-`));
  const run: Run = { options, env, logDir, peakRss: {} };
  log(`run ${env.runId}, logs in ${logDir}`);
  const loadAverageAtStart = loadavg();
  try {
    const bareHttp = await measureHttpBaseline(run, 'bare', PORTS.bare);
    const expressHttp = await measureHttpBaseline(run, 'express', PORTS.express);
    const naiveCoupon = randomUUID();
    const naive = await measureHttpBaseline(run, 'naive', PORTS.naive, {
      BENCH_NAIVE_DATABASE_URL: `${env.mysqlUrl}/${env.databases.naive}`,
      BENCH_NAIVE_COUPON_ID: naiveCoupon,
      BENCH_NAIVE_STOCK: String(1_000_000_000),
      BENCH_NAIVE_POOL_SIZE: '10',
      BENCH_JWT_SECRET: env.jwtSecret,
    });
    const gateScript = await measureGateScript(env.redisUrl, env.keyPrefix, options.redisRequests);
    log(
      `gate script: ${gateScript.unpipelined.toFixed(0)}/s, pipelined ${gateScript.pipelined.toFixed(0)}/s`,
    );
    const rawInsert = await measureRawInsert(`${env.mysqlUrl}/${env.databases.raw}`, options.rawInsertRows);
    log(`raw insert: ${rawInsert.rowsPerSecond.toFixed(0)} rows/s`);
    const live = await measureCouponKill(run);
    const replayed = await measureReplay(run);
    const projectionScaling = await measureProjectionScaling(run);

    const partial: Omit<BenchResults, 'targets' | 'passed'> = {
      date: new Date().toISOString(),
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(
        ' ',
      ),
      machine: {
        cores: cpus().length,
        memoryMiB: Math.round(totalmem() / 1024 / 1024),
        cpu: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        loadAverageAtStart,
      },
      options: { ...options, freeMemoryMiBAtEnd: Math.round(freemem() / 1024 / 1024) },
      baselines: {
        bareHttp,
        expressHttp,
        naiveSeckill: { ...naive, acceptedPerSecond: naive.accepted / naive.seconds },
        gateScript,
        rawInsert,
      },
      couponkill: {
        load: live.load,
        acceptedPerSecond: live.acceptedPerSecond,
        lagDuringLoad: live.lagDuringLoad,
        lagAfterLoad: live.lagAfterLoad,
        convergeSeconds: live.convergeSeconds,
        cpuDuringLoad: live.cpuDuringLoad,
        replayStore: { events: replayed.fill.events, fillSeconds: replayed.fill.seconds },
        replay: replayed.replay,
      },
      projectionScaling,
      peakRssBytes: run.peakRss,
      checks: live.checks,
      audits: { live: live.audit, replay: replayed.audit },
    };
    const passed =
      live.checks.every((c) => c.passed) &&
      live.audit.equal &&
      replayed.audit.equal &&
      scalingAuditsPassed(projectionScaling);
    const results: BenchResults = { ...partial, targets: targetsOf(partial), passed };
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(renderReport(results));
    console.log(`\nresults: ${options.out}\nlogs: ${logDir}`);
    return passed ? 0 : 1;
  } finally {
    if (!options.keep) await env.cleanup();
  }
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('bench: failed:', error);
    process.exit(2);
  },
);
