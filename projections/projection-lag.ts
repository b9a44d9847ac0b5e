import type { EventStore } from '../commands/event-store-port';
import type { ProjectionName } from './projection';
import type { ProjectionWriter } from './projection-writer';
import { lowestCheckpoint, type DeadLetters } from './read-model-ports';
import type { LiveGenerations } from './live-generations';

export interface LagReport {
  readonly head: string;
  readonly projections: Record<
    string,
    {
      readonly generation: number | null;
      /** The slowest partition's checkpoint. */
      readonly checkpoint: string;
      /** head − checkpoint: the figure autoscaling uses. */
      readonly lag: number;
      /** Events the live generation set aside as dead letters: an incomplete read model, for alerting. */
      readonly deadLetters: number;
      /** Per partition of the projection's stream: its checkpoint (lowest over shards) and lag. */
      readonly partitions: Record<string, { readonly checkpoint: string; readonly lag: number }>;
    }
  >;
  readonly maxLag: number;
}

/**
 * Lag = event-store head − the live generation's checkpoint (the lowest of its partitions over its shards), per read
 * model and per partition. A report costs
 * one query per shard and read model, so concurrent callers share the one being computed, and `report(maxAgeMs)`
 * answers from a recent one.
 */
export class ProjectionLag {
  private latest:
    { readonly startedAt: number; readonly report: Promise<LagReport>; done: boolean } | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly live: LiveGenerations,
    private readonly writer: ProjectionWriter,
    private readonly deadLetters: DeadLetters,
    private readonly projections: readonly ProjectionName[],
  ) {}

  /** A report started at most `maxAgeMs` ago (0: one still being computed, or a fresh one). */
  report(maxAgeMs = 0): Promise<LagReport> {
    const now = Date.now();
    const latest = this.latest;
    if (latest && (!latest.done || now - latest.startedAt <= maxAgeMs)) return latest.report;
    const report = this.compute();
    const entry = { startedAt: now, report, done: false };
    this.latest = entry;
    report.then(
      () => (entry.done = true),
      () => {
        if (this.latest === entry) this.latest = undefined;
      },
    );
    return report;
  }

  private async compute(): Promise<LagReport> {
    const head = await this.store.headPosition();
    const entries = await Promise.all(
      this.projections.map(async (name) => {
        const generation = await this.live.of(name);
        const [checkpoints, deadLetters] = generation
          ? await Promise.all([
              this.writer.checkpoints(generation),
              this.deadLetters.count(name, generation.generation),
            ])
          : [new Map<number, bigint>(), 0];
        const checkpoint = lowestCheckpoint(checkpoints, [...checkpoints.keys()]);
        return [
          name,
          {
            generation: generation?.generation ?? null,
            checkpoint: checkpoint.toString(),
            lag: Number(head - checkpoint),
            deadLetters,
            partitions: Object.fromEntries(
              [...checkpoints].map(([partition, position]) => [
                String(partition),
                { checkpoint: position.toString(), lag: Number(head - position) },
              ]),
            ),
          },
        ] as const;
      }),
    );
    return {
      head: head.toString(),
      projections: Object.fromEntries(entries),
      maxLag: Math.max(0, ...entries.map(([, e]) => e.lag)),
    };
  }
}
