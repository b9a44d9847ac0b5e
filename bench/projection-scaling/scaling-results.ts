import type { CpuWindow } from '../cpu-usage';
import type { AuditResult } from '../read-model-audit';
import type { ScalingDesign } from './scaling-build';

/** One configuration of the scale-out stage: a build, a number of projector replicas, one drained backlog. */
export interface ScalingRun {
  readonly design: ScalingDesign;
  readonly replicas: number;
  /** Partitions of each projection's stream; null for the previous design's one stream. */
  readonly partitions: number | null;
  /** Events in the store, all on the bus before the projectors start: the numerator of `eventsPerSecond`. */
  readonly events: number;
  /** Relay start → the whole store on the bus (s); not part of the throughput. */
  readonly publishSeconds: number;
  /** Projectors' start → every replica answering `/readyz` (s). */
  readonly readySeconds: number;
  /** Projectors' start → the lag first below the head: every read model (every partition) applied something (s). */
  readonly firstAppliedSeconds: number | null;
  /** Projectors' start → lag 0 for every read model (s). */
  readonly drainSeconds: number;
  /** Projectors' start → lag 0, per read model (s): the slowest one sets `drainSeconds`. */
  readonly readModelSeconds: Record<string, number>;
  /** `events / drainSeconds`: store events per second, each applied by every read model that uses it. */
  readonly eventsPerSecond: number;
  /** CPU over the drain: per replica (`projector <i>`), read-api, Redis, MariaDB, the whole machine. */
  readonly cpu: CpuWindow;
  /** Largest peak RSS among the replicas (bytes). */
  readonly projectorPeakRssBytes: number;
  /** Read models = event store after the drain; null for the previous design (a speed reference, not checked). */
  readonly audit: AuditResult | null;
}

/** The projection scale-out stage: this build's replicas side by side, and the previous design's one replica. */
export interface ProjectionScaling {
  readonly events: number;
  readonly partitions: number;
  /** This build with 1, 2 and 4 replicas, in that order. */
  readonly runs: readonly ScalingRun[];
  readonly previous:
    | {
        readonly measured: true;
        readonly dir: string;
        readonly commit: string | null;
        readonly run: ScalingRun;
      }
    | {
        readonly measured: false;
        /** The short form the table shows. */
        readonly cause: 'no baseline build' | 'baseline build failed';
        /** The whole story: the missing path, or the error. */
        readonly reason: string;
      };
}

/** Every configuration of this build left read models equal to the event store. */
export const scalingAuditsPassed = (s: ProjectionScaling): boolean =>
  s.runs.every((run) => run.audit?.equal === true);
