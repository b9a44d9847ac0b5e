import { CheckpointWaitRefused, type CheckpointWatch, type ShardDependency } from './checkpoint-watch';
import type { LiveGenerations } from './live-generations';
import { allPartitions } from './partitioning';
import type { ProjectionName } from './projection';
import type { Generation, ReadShards } from './read-model-ports';

/**
 * A read asked for a position its shards had not reached in time, or too many reads were waiting already to wait
 * (HTTP 503 READ_MODEL_BEHIND).
 */
export class ReadModelBehindError extends Error {
  constructor(
    readonly required: bigint,
    readonly current: bigint,
    /** `deadline`: waited the whole wait; `too_many_waiters`: refused at once, too many reads were waiting. */
    readonly reason: 'deadline' | 'too_many_waiters' = 'deadline',
  ) {
    super(
      reason === 'deadline'
        ? `the read model has reached position ${current}, not yet ${required}; retry shortly`
        : `too many reads are waiting for newer positions (this one needs ${required}); retry shortly`,
    );
    this.name = 'ReadModelBehindError';
  }
}

/** No generation of the read model is live yet (HTTP 503 READ_MODEL_NOT_READY). */
export class ReadModelMissingError extends Error {
  constructor(projection: ProjectionName) {
    super(`the ${projection} read model has not been built yet`);
    this.name = 'ReadModelMissingError';
  }
}

/**
 * What every read model's queries share: the live generation to read, and read-your-writes. A caller may pass the
 * position of a write it made (`minPosition`): the query then waits, up to `waitMs`, until exactly the partitions it
 * depends on, in the shards it reads, have passed it.
 */
export class LiveReadModels {
  constructor(
    readonly shards: ReadShards,
    private readonly live: Pick<LiveGenerations, 'of'>,
    private readonly watch: CheckpointWatch,
    private waitMs: number,
  ) {}

  /** How long a read-your-writes query may wait from now on, in ms (live configuration). */
  setWaitMs(waitMs: number): void {
    this.waitMs = waitMs;
  }

  /** The live generation; throws ReadModelMissingError when there is none. */
  async generation(projection: ProjectionName): Promise<Generation> {
    const generation = await this.live.of(projection);
    if (!generation) throw new ReadModelMissingError(projection);
    return generation;
  }

  /**
   * Read-your-writes for a read of one key's rows (`keyHash`: domain/shared/shard-key.ts): resolves once the key's
   * partition has applied `minPosition` in the key's shard (at once when null); else ReadModelBehindError.
   */
  async waitForKey(generation: Generation, keyHash: number, minPosition: bigint | null): Promise<void> {
    await this.waitFor(
      generation,
      [{ shard: keyHash % generation.shards, partitions: [keyHash % generation.partitions] }],
      minPosition,
    );
  }

  /** Read-your-writes for a read across the read model: every partition in every shard. */
  async waitForAll(generation: Generation, minPosition: bigint | null): Promise<void> {
    const partitions = allPartitions(generation.partitions);
    await this.waitFor(
      generation,
      Array.from({ length: generation.shards }, (_, shard) => ({ shard, partitions })),
      minPosition,
    );
  }

  private async waitFor(
    generation: Generation,
    dependencies: readonly ShardDependency[],
    minPosition: bigint | null,
  ): Promise<void> {
    if (minPosition === null) return;
    try {
      await this.watch.waitFor(generation, dependencies, minPosition, Date.now() + this.waitMs);
    } catch (error) {
      if (error instanceof CheckpointWaitRefused)
        throw new ReadModelBehindError(minPosition, error.reached, error.reason);
      throw error;
    }
  }
}

export type Row = Record<string, unknown>;

/** A DATETIME column as an ISO-8601 string. */
export const isoOf = (value: unknown): string =>
  value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
