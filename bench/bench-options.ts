import { Command, InvalidArgumentError } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { cliOfBuild, REPO_ROOT } from './paths';

export interface BenchOptions {
  readonly quick: boolean;
  /** Concurrent keep-alive connections of the load generator, the same for every HTTP measurement. */
  readonly connections: number;
  readonly pipelining: number;
  /** Units of the hot coupon. */
  readonly stock: number;
  /** Seckill requests sent in the timed part; more than the stock, so the tail meets a sold-out coupon. */
  readonly requests: number;
  /** Share of requests that are a repeat click by a buyer who already clicked. */
  readonly repeatShare: number;
  readonly baselineSeconds: number;
  readonly redisRequests: number;
  readonly rawInsertRows: number;
  readonly replayEvents: number;
  /** Events of the store the projection scale-out stage drains (the replay store when the counts are equal). */
  readonly scalingEvents: number;
  /**
   * A checkout of the design before partitioned projections, built (`dist/bin/cli.js`), or why there is none: its one
   * projector replica is measured beside this build's replicas.
   */
  readonly baselineBuild: { readonly dir: string } | { readonly missing: string };
  readonly out: string;
  /** Keep the databases and Redis keys of the run (for a post-mortem). */
  readonly keep: boolean;
}

const FULL = {
  connections: 64,
  stock: 40_000,
  requests: 64_000,
  baselineSeconds: 10,
  redisRequests: 300_000,
  rawInsertRows: 300_000,
  replayEvents: 1_000_000,
  scalingEvents: 200_000,
};
const QUICK = {
  connections: 32,
  stock: 3_000,
  requests: 5_000,
  baselineSeconds: 3,
  redisRequests: 30_000,
  rawInsertRows: 30_000,
  replayEvents: 30_000,
  // The quick replay store's size, so a smoke run drains that store instead of filling another one.
  scalingEvents: 30_000,
};

/** Where the build of the design before partitioned projections (commit 2ce262f) is kept on the bench machine. */

const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number above 0');
  return n;
};

const share = (value: string): number => {
  const n = Number(value);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError('must be a number from 0 to below 1');
  return n;
};

export const parseBenchOptions = (argv: readonly string[]): BenchOptions => {
  const program = new Command()
    .name('bench')
    .description('CouponKill against baselines measured in the same run (see bench/RESULTS.md)')
    .option('--quick', 'small parameters: a smoke run, not a measurement', false)
    .option('--connections <n>', 'load generator connections', positive)
    .option('--pipelining <n>', 'requests in flight per connection', positive, 1)
    .option('--stock <n>', 'units of the hot coupon', positive)
    .option('--requests <n>', 'seckill requests in the timed part', positive)
    .option('--repeat-share <x>', 'share of repeat clicks', share, 0.08)
    .option('--baseline-seconds <n>', 'duration of each HTTP baseline', positive)
    .option('--redis-requests <n>', 'redis-benchmark requests per run', positive)
    .option('--raw-insert-rows <n>', 'rows of the raw INSERT baseline', positive)
    .option('--replay-events <n>', 'events in the replay store', positive)
    .option('--scaling-events <n>', 'events the projector replicas drain in the scale-out stage', positive)
    .option(
      '--baseline-build <dir>',
      'a built checkout of the design before partitioned projections (commit 2ce262f, `npm ci && npm run build`), for its single-replica row',
    )
    .option('--out <file>', 'JSON results file', resolve(REPO_ROOT, 'bench', 'results', 'latest.json'))
    .option('--keep', 'keep the databases and Redis keys of the run', false)
    .parse(argv, { from: 'user' });
  const o = program.opts<
    Partial<Omit<BenchOptions, 'baselineBuild'>> & {
      quick: boolean;
      pipelining: number;
      repeatShare: number;
      baselineBuild?: string;
    }
  >();
  const preset = o.quick ? QUICK : FULL;
  const options: BenchOptions = {
    quick: o.quick,
    connections: o.connections ?? preset.connections,
    pipelining: o.pipelining,
    stock: o.stock ?? preset.stock,
    requests: o.requests ?? preset.requests,
    repeatShare: o.repeatShare,
    baselineSeconds: o.baselineSeconds ?? preset.baselineSeconds,
    redisRequests: o.redisRequests ?? preset.redisRequests,
    rawInsertRows: o.rawInsertRows ?? preset.rawInsertRows,
    replayEvents: o.replayEvents ?? preset.replayEvents,
    scalingEvents: o.scalingEvents ?? preset.scalingEvents,
    baselineBuild: baselineBuildOf(o.baselineBuild),
    out: resolve(o.out ?? 'bench/results/latest.json'),
    keep: o.keep ?? false,
  };
  if (options.requests <= options.stock)
    throw new InvalidArgumentError('--requests must exceed --stock so that the coupon sells out');
  return options;
};

/** A baseline build named on the command line must be there: a typo should not quietly drop a row. */
const baselineBuildOf = (given: string | undefined): BenchOptions['baselineBuild'] => {
  if (given === undefined) return { missing: 'no --baseline-build given' };
  const dir = resolve(given);
  if (existsSync(cliOfBuild(dir))) return { dir };
  throw new InvalidArgumentError(`--baseline-build: ${cliOfBuild(dir)} does not exist`);
};
