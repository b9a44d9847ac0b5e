import { DependencyUnavailableError } from '../commands/dependency-error';
import type { RecordedEvent } from '../commands/event-store-port';
import { OverloadedError } from '../commands/overloaded-error';
import { decodeRecorded, type DecodedEvent } from '../commands/stored-events';
import type { Span } from './checkpoint-frontier';
import { shardOfEvent, type Projection } from './projection';
import {
  FencedError,
  tableSuffix,
  type DeadLetter,
  type DeadLetters,
  type Generation,
  type PartitionAdvance,
  type ReadShards,
} from './read-model-ports';

/** One partition's share of a batch: its events, and the runs of its sequence they (with watermarks) cover. */
export interface PartitionBatch {
  readonly partition: number;
  /** The writer's lease epoch on the partition; null for a replay, which writes unfenced. */
  readonly epoch: number | null;
  readonly events: readonly RecordedEvent[];
  readonly applied: readonly Span[];
}

const deadLetterOf = (event: RecordedEvent, error: unknown): DeadLetter => ({
  position: event.position,
  eventId: event.metadata.eventId,
  streamId: event.streamId,
  type: event.type,
  schemaVersion: event.schemaVersion,
  reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
});

/**
 * An outage, a timeout, a full queue in front of a shard or a lost lease: the batch fails as a whole, to be retried,
 * and nothing of it is set aside (none of these says anything about an event, so dead-lettering would lose it).
 */
const failsTheBatch = (error: unknown): boolean =>
  error instanceof DependencyUnavailableError ||
  error instanceof OverloadedError ||
  error instanceof FencedError;

/**
 * Applies a batch of events, from one or more partitions, to one generation of a read model: one transaction per
 * shard, holding the shard's rows and each partition's checkpoint in that shard, so a crash between shards leaves each
 * shard either wholly before or wholly after the batch. Checkpoint writes are fenced by the partitions' lease epochs
 * (ReadShards.advanceCheckpoints): a former owner's late batch fails with FencedError and commits nothing.
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
    batch: readonly PartitionBatch[],
  ): Promise<DeadLetter[]> {
    if (batch.length === 0) return [];
    const advances: PartitionAdvance[] = batch.map(({ partition, epoch, applied }) => ({
      partition,
      epoch,
      applied,
    }));
    const dead: DeadLetter[] = [];
    const byShard = new Map<number, DecodedEvent[]>();
    for (const recorded of batch.flatMap((share) => share.events)) {
      let event: DecodedEvent;
      try {
        event = decodeRecorded(recorded);
      } catch (error) {
        dead.push(deadLetterOf(recorded, error));
        continue;
      }
      const shard = shardOfEvent(projection, event, generation.shards);
      if (shard === null) continue;
      const events = byShard.get(shard);
      if (events) events.push(event);
      else byShard.set(shard, [event]);
    }
    if (dead.length > 0) await this.deadLetters.record(generation, dead);
    const perShard = await Promise.all(
      Array.from({ length: generation.shards }, (_, shard) =>
        this.writeShard(projection, generation, shard, byShard.get(shard) ?? [], advances),
      ),
    );
    return [...dead, ...perShard.flat()];
  }

  /** Per partition, every event of it up to the position is applied in every shard of the generation. */
  async checkpoints(generation: Generation): Promise<Map<number, bigint>> {
    const perShard = await Promise.all(
      Array.from({ length: generation.shards }, (_, shard) => this.shards.checkpoints(generation, shard)),
    );
    const lowest = new Map<number, bigint>();
    for (let partition = 0; partition < generation.partitions; partition++)
      lowest.set(
        partition,
        perShard.reduce<bigint | null>((min, shard) => {
          const position = shard.get(partition) ?? 0n;
          return min === null || position < min ? position : min;
        }, null) ?? 0n,
      );
    return lowest;
  }

  private async writeShard(
    projection: Projection,
    generation: Generation,
    shard: number,
    events: readonly DecodedEvent[],
    advances: readonly PartitionAdvance[],
  ): Promise<DeadLetter[]> {
    const suffix = tableSuffix(generation.generation);
    try {
      await this.shards.transaction(shard, async (sql) => {
        if (events.length > 0) await projection.apply(sql, events, suffix);
        await this.shards.advanceCheckpoints(sql, generation, advances);
      });
      return [];
    } catch (error) {
      if (failsTheBatch(error) || events.length === 0) throw error;
    }
    // Projections are idempotent, so the events that apply alone may commit before the checkpoint moves: a crash in
    // between only replays them. Each still checks the lease of its batch first, so a fenced writer writes nothing.
    const fenceOnly = advances.map(({ partition, epoch }) => ({ partition, epoch, applied: [] }));
    const dead: DeadLetter[] = [];
    for (const event of events) {
      try {
        await this.shards.transaction(shard, async (sql) => {
          await this.shards.advanceCheckpoints(sql, generation, fenceOnly);
          await projection.apply(sql, [event], suffix);
        });
      } catch (error) {
        if (failsTheBatch(error)) throw error;
        dead.push(deadLetterOf(event.recorded, error));
      }
    }
    await this.deadLetters.record(generation, dead);
    await this.shards.transaction(shard, (sql) => this.shards.advanceCheckpoints(sql, generation, advances));
    return dead;
  }
}
