import type { Span } from './checkpoint-frontier';
import type { ProjectionName } from './projection';
import type { SqlExecutor } from './sql-executor-port';

/** One build of a read model: its tables carry the generation in their names and are spread over `shards` databases. */
export interface Generation {
  readonly projection: ProjectionName;
  readonly generation: number;
  readonly shards: number;
  /** `building`: being filled by a replay (the projector feeds it new events too); `live`: what queries read. */
  readonly state: 'building' | 'live';
}

export const tableSuffix = (generation: number): string => `_g${generation}`;

/** Which generations exist. Kept in one catalog database. */
export interface ReadModelCatalog {
  /** The live and building generations of a projection. */
  current(projection: ProjectionName): Promise<Generation[]>;
  /** Creates the first live generation unless one exists; returns the live one. */
  ensureLive(projection: ProjectionName, shards: number): Promise<Generation>;
  startBuilding(projection: ProjectionName, shards: number): Promise<Generation>;
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
  /** Records, inside the shard transaction, the runs of events this batch applied; the checkpoint moves over them. */
  advanceCheckpoint(sql: SqlExecutor, generation: Generation, applied: readonly Span[]): Promise<void>;
  /** Every event up to the returned position is applied in this shard (0n when none). */
  checkpoint(generation: Generation, shard: number): Promise<bigint>;
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
