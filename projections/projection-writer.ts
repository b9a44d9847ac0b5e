import type { RecordedEvent } from '../commands/event-store-port';
import type { Projection } from './projection';
import { tableSuffix, type Generation, type ReadShards } from './read-model-ports';

/**
 * Applies a batch of events to one generation of a read model: one transaction per shard, holding the shard's rows and
 * its checkpoint, so a crash between shards leaves each shard either wholly before or wholly after the batch.
 */
export class ProjectionWriter {
  constructor(private readonly shards: ReadShards) {}

  async write(
    projection: Projection,
    generation: Generation,
    events: readonly RecordedEvent[],
  ): Promise<void> {
    if (events.length === 0) return;
    const upTo = events.reduce((max, e) => (e.position > max ? e.position : max), 0n);
    const byShard = new Map<number, RecordedEvent[]>();
    for (const event of events) {
      const shard = projection.shardOf(event, generation.shards);
      if (shard !== null) byShard.set(shard, [...(byShard.get(shard) ?? []), event]);
    }
    const suffix = tableSuffix(generation.generation);
    await Promise.all(
      Array.from({ length: generation.shards }, (_, shard) =>
        this.shards.transaction(shard, async (sql) => {
          for (const event of byShard.get(shard) ?? []) await projection.apply(sql, event, suffix);
          await this.shards.advanceCheckpoint(sql, generation, upTo);
        }),
      ),
    );
  }

  /** Every event up to the returned position is applied in every shard of the generation. */
  async checkpoint(generation: Generation): Promise<bigint> {
    const positions = await Promise.all(
      Array.from({ length: generation.shards }, (_, shard) => this.shards.checkpoint(generation, shard)),
    );
    return positions.reduce((min, p) => (p < min ? p : min));
  }
}
