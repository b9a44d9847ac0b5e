import type { EventStore } from '../commands/event-store-port';
import type { ProjectionName } from './projection';
import type { ProjectionWriter } from './projection-writer';
import type { DeadLetters } from './read-model-ports';
import type { LiveGenerations } from './live-generations';

export interface LagReport {
  readonly head: string;
  readonly projections: Record<
    string,
    {
      readonly generation: number | null;
      readonly checkpoint: string;
      readonly lag: number;
      /** Events the live generation set aside as dead letters: an incomplete read model, for alerting. */
      readonly deadLetters: number;
    }
  >;
  readonly maxLag: number;
}

/**
 * Lag = event-store head − the live generation's checkpoint (the lowest of its shards), per read model. A report costs
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
        const [checkpoint, deadLetters] = generation
          ? await Promise.all([
              this.writer.checkpoint(generation),
              this.deadLetters.count(name, generation.generation),
            ])
          : [0n, 0];
        return [
          name,
          {
            generation: generation?.generation ?? null,
            checkpoint: checkpoint.toString(),
            lag: Number(head - checkpoint),
            deadLetters,
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
