import type { CpuWindow } from './cpu-usage';
import type { GateBaseline } from './baselines/redis-gate-benchmark';
import type { RawInsertBaseline } from './baselines/raw-insert';
import type { LagSummary } from './lag-sampler';
import type { LoadResult } from './load/load-plan';
import type { ProjectionScaling } from './projection-scaling/scaling-results';
import type { AuditResult } from './read-model-audit';
import type { ReplayMeasurement } from './replay/run-replay';
import type { SeckillCheck } from './seckill-checks';

export interface Target {
  readonly name: string;
  readonly value: number;
  readonly goal: string;
  readonly met: boolean;
}

/** Everything one run measured; written as JSON and printed as the table. */
export interface BenchResults {
  readonly date: string;
  readonly command: string;
  readonly machine: {
    readonly cores: number;
    readonly memoryMiB: number;
    readonly cpu: string;
    readonly node: string;
    readonly loadAverageAtStart: readonly number[];
  };
  readonly options: Record<string, unknown>;
  readonly baselines: {
    readonly bareHttp: LoadResult;
    readonly expressHttp: LoadResult;
    readonly naiveSeckill: LoadResult & { readonly acceptedPerSecond: number };
    readonly gateScript: GateBaseline;
    readonly rawInsert: RawInsertBaseline;
  };
  readonly couponkill: {
    readonly load: LoadResult;
    readonly acceptedPerSecond: number;
    readonly lagDuringLoad: LagSummary;
    readonly lagAfterLoad: LagSummary;
    readonly convergeSeconds: number | null;
    readonly cpuDuringLoad: CpuWindow;
    readonly replayStore: { readonly events: number; readonly fillSeconds: number };
    readonly replay: ReplayMeasurement;
  };
  /** Projection throughput at saturation with 1, 2 and 4 projector replicas, and the previous design's one. */
  readonly projectionScaling: ProjectionScaling;
  readonly peakRssBytes: Record<string, number>;
  readonly checks: readonly SeckillCheck[];
  readonly audits: { readonly live: AuditResult; readonly replay: AuditResult };
  readonly targets: readonly Target[];
  /** Correctness only: targets are reported, a wrong answer fails the run. */
  readonly passed: boolean;
}
