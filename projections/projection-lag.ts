import type { EventStore } from '../commands/event-store-port';
import type { ProjectionName } from './projection';
import type { ProjectionWriter } from './projection-writer';
import type { LiveGenerations } from './live-generations';

export interface LagReport {
  readonly head: string;
  readonly projections: Record<
    string,
    { readonly generation: number | null; readonly checkpoint: string; readonly lag: number }
  >;
  readonly maxLag: number;
}

/** Lag = event-store head − the live generation's checkpoint (the lowest of its shards), per read model. */
export class ProjectionLag {
  constructor(
    private readonly store: EventStore,
    private readonly live: LiveGenerations,
    private readonly writer: ProjectionWriter,
    private readonly projections: readonly ProjectionName[],
  ) {}

  async report(): Promise<LagReport> {
    const head = await this.store.headPosition();
    const entries = await Promise.all(
      this.projections.map(async (name) => {
        const generation = await this.live.of(name);
        const checkpoint = generation ? await this.writer.checkpoint(generation) : 0n;
        return [
          name,
          {
            generation: generation?.generation ?? null,
            checkpoint: checkpoint.toString(),
            lag: Number(head - checkpoint),
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
