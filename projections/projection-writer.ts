import { decodeRecorded, type DecodedEvent } from '../commands/stored-events';
import { spansOf } from './checkpoint-frontier';
import type { SequencedEvent } from './event-bus-port';
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
    batch: readonly SequencedEvent[],
  ): Promise<void> {
    if (batch.length === 0) return;
    const applied = spansOf(batch);
    const byShard = new Map<number, DecodedEvent[]>();
    for (const message of batch) {
      const event = decodeRecorded(message.event);
      const shard = projection.shardOf(event, generation.shards);
      if (shard === null) continue;
      const events = byShard.get(shard);
      if (events) events.push(event);
      else byShard.set(shard, [event]);
    }
    const suffix = tableSuffix(generation.generation);
    await Promise.all(
      Array.from({ length: generation.shards }, (_, shard) =>
        this.shards.transaction(shard, async (sql) => {
          const events = byShard.get(shard);
          if (events) await projection.apply(sql, events, suffix);
          await this.shards.advanceCheckpoint(sql, generation, applied);
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
