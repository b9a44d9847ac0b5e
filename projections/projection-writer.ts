import { DependencyUnavailableError } from '../commands/dependency-error';
import { decodeRecorded, type DecodedEvent } from '../commands/stored-events';
import type { RecordedEvent } from '../commands/event-store-port';
import { spansOf, type Span } from './checkpoint-frontier';
import type { SequencedEvent } from './event-bus-port';
import type { Projection } from './projection';
import {
  tableSuffix,
  type DeadLetter,
  type DeadLetters,
  type Generation,
  type ReadShards,
} from './read-model-ports';

const deadLetterOf = (event: RecordedEvent, error: unknown): DeadLetter => ({
  position: event.position,
  eventId: event.metadata.eventId,
  streamId: event.streamId,
  type: event.type,
  schemaVersion: event.schemaVersion,
  reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
});

/** An outage or timeout: the batch is retried as a whole, never set aside. */
const isTransient = (error: unknown): boolean => error instanceof DependencyUnavailableError;

/**
 * Applies a batch of events to one generation of a read model: one transaction per shard, holding the shard's rows and
 * its checkpoint, so a crash between shards leaves each shard either wholly before or wholly after the batch.
 *
 * An event the projection cannot apply (it does not decode, or the database refuses one of its values) never stalls
 * the read model, and never takes the rest of its batch with it: the shard's share is applied one event at a time,
 * the events that fail alone are recorded as dead letters (DeadLetters, before the checkpoint moves over them), and
 * the checkpoint advances as usual. Outages (DependencyUnavailableError) fail the whole batch, to be retried.
 */
export class ProjectionWriter {
  constructor(
    private readonly shards: ReadShards,
    private readonly deadLetters: DeadLetters,
  ) {}

  /** Applies the batch; returns the events set aside as dead letters (already recorded). */
  async write(
    projection: Projection,
    generation: Generation,
    batch: readonly SequencedEvent[],
  ): Promise<DeadLetter[]> {
    if (batch.length === 0) return [];
    const applied = spansOf(batch);
    const dead: DeadLetter[] = [];
    const byShard = new Map<number, DecodedEvent[]>();
    for (const message of batch) {
      let event: DecodedEvent;
      try {
        event = decodeRecorded(message.event);
      } catch (error) {
        dead.push(deadLetterOf(message.event, error));
        continue;
      }
      const shard = projection.shardOf(event, generation.shards);
      if (shard === null) continue;
      const events = byShard.get(shard);
      if (events) events.push(event);
      else byShard.set(shard, [event]);
    }
    if (dead.length > 0) await this.deadLetters.record(generation, dead);
    const perShard = await Promise.all(
      Array.from({ length: generation.shards }, (_, shard) =>
        this.writeShard(projection, generation, shard, byShard.get(shard) ?? [], applied),
      ),
    );
    return [...dead, ...perShard.flat()];
  }

  /** Every event up to the returned position is applied in every shard of the generation. */
  async checkpoint(generation: Generation): Promise<bigint> {
    const positions = await Promise.all(
      Array.from({ length: generation.shards }, (_, shard) => this.shards.checkpoint(generation, shard)),
    );
    return positions.reduce((min, p) => (p < min ? p : min));
  }

  private async writeShard(
    projection: Projection,
    generation: Generation,
    shard: number,
    events: readonly DecodedEvent[],
    applied: readonly Span[],
  ): Promise<DeadLetter[]> {
    const suffix = tableSuffix(generation.generation);
    try {
      await this.shards.transaction(shard, async (sql) => {
        if (events.length > 0) await projection.apply(sql, events, suffix);
        await this.shards.advanceCheckpoint(sql, generation, applied);
      });
      return [];
    } catch (error) {
      if (isTransient(error) || events.length === 0) throw error;
    }
    // Projections are idempotent, so the events that apply alone may commit before the checkpoint moves: a crash in
    // between only replays them.
    const dead: DeadLetter[] = [];
    for (const event of events) {
      try {
        await this.shards.transaction(shard, (sql) => projection.apply(sql, [event], suffix));
      } catch (error) {
        if (isTransient(error)) throw error;
        dead.push(deadLetterOf(event.recorded, error));
      }
    }
    await this.deadLetters.record(generation, dead);
    await this.shards.transaction(shard, (sql) => this.shards.advanceCheckpoint(sql, generation, applied));
    return dead;
  }
}
