import type { Span } from './checkpoint-frontier';
import type { ProjectionName } from './projection';
import type { SqlExecutor } from './sql-executor-port';

/** One build of a read model: its tables carry the generation in their names and are spread over `shards` databases. */
export interface Generation {
  readonly projection: ProjectionName;
  readonly generation: number;
  readonly shards: number;
  /** Partitions of the projection's stream the generation is fed from (COUPONKILL_PROJECTION_PARTITIONS). */
  readonly partitions: number;
  /** `building`: being filled by a replay (the projector feeds it new events too); `live`: what queries read. */
  readonly state: 'building' | 'live';
}

export const tableSuffix = (generation: number): string => `_g${generation}`;

/** Which generations exist. Kept in one catalog database. */
export interface ReadModelCatalog {
  /** The live and building generations of a projection. */
  current(projection: ProjectionName): Promise<Generation[]>;
  /** Creates the first live generation unless one exists; returns the live one. */
  ensureLive(projection: ProjectionName, shards: number, partitions: number): Promise<Generation>;
  startBuilding(projection: ProjectionName, shards: number, partitions: number): Promise<Generation>;
  /** Makes a building generation live; the previous live one is retired and returned. */
  promote(generation: Generation): Promise<Generation | null>;
  abandon(generation: Generation): Promise<void>;
}

/** The sharded read databases: transactions per shard, and checkpoints stored beside the rows they cover. */
export interface ReadShards {
  transaction<T>(shard: number, work: (sql: SqlExecutor) => Promise<T>): Promise<T>;
  query<Row>(shard: number, sql: string, values?: readonly unknown[]): Promise<Row[]>;
  ensureTables(generation: Generation, ddl: readonly string[]): Promise<void>;
  dropTables(generation: Generation, tables: readonly string[]): Promise<void>;
  /**
   * Records, inside the shard transaction, the runs of each partition's sequence this batch applied; each
   * partition's checkpoint in this shard moves over them. An advance with an `epoch` (its writer's lease on the
   * partition) is fenced: when a newer owner has written a higher epoch here the whole transaction must fail, so this
   * throws FencedError naming every such partition; else the stored epoch is raised to it. A replay writes without one.
   */
  advanceCheckpoints(
    sql: SqlExecutor,
    generation: Generation,
    advances: readonly PartitionAdvance[],
  ): Promise<void>;
  /**
   * Raises the partition's epoch to `epoch` in every shard of the generation, so that any later write of an older
   * owner is refused: what a new owner does before it consumes the partition. Waits for a write of the older owner
   * that holds the row; that write commits first, and is redelivered to the new owner anyway.
   */
  fence(generation: Generation, partition: number, epoch: number): Promise<void>;
  /** Per partition, every event of it up to the position is applied in this shard (0n: nothing yet). */
  checkpoints(generation: Generation, shard: number): Promise<ReadonlyMap<number, bigint>>;
  /** Resolves when every shard of the map answers; rejects with DependencyUnavailableError naming the first that does not. */
  ping(): Promise<void>;
}

/** An event a projection could not apply, set aside so the projection goes on (ARCHITECTURE invariant 11). */
export interface DeadLetter {
  readonly position: bigint;
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  readonly schemaVersion: number;
  /** Why it could not be applied (the error's message). */
  readonly reason: string;
}

/** Where dead letters are kept, per generation of a read model; recording the same event again is a no-op. */
export interface DeadLetters {
  record(generation: Generation, letters: readonly DeadLetter[]): Promise<void>;
  /** How many events each generation of the projection set aside. */
  count(projection: ProjectionName, generation: number): Promise<number>;
  /** The first `limit` of them, by position. */
  list(projection: ProjectionName, generation: number, limit: number): Promise<DeadLetter[]>;
}

/** What one batch applied of one partition: the runs of its sequence, under the writer's lease epoch (null: a replay). */
export interface PartitionAdvance {
  readonly partition: number;
  readonly epoch: number | null;
  readonly applied: readonly Span[];
}

/**
 * Writes of partitions' former owners, after newer owners took them (their leases lapsed): refused, and nothing of
 * the transaction is written.
 */
export class FencedError extends Error {
  constructor(readonly partitions: readonly number[]) {
    super(`partition(s) ${partitions.join(', ')} are owned by a newer lease now; the write was refused`);
    this.name = 'FencedError';
  }
}

/** The lowest checkpoint over the given partitions (a missing one counts as 0n: nothing applied). */
export const lowestCheckpoint = (
  checkpoints: ReadonlyMap<number, bigint>,
  partitions: readonly number[],
): bigint => {
  let lowest: bigint | null = null;
  for (const partition of partitions) {
    const position = checkpoints.get(partition) ?? 0n;
    if (lowest === null || position < lowest) lowest = position;
  }
  return lowest ?? 0n;
};
