import type { Generation, PartitionAdvance, ReadShards } from '../../projections/read-model-ports';
import type { SqlExecutor } from '../../projections/sql-executor-port';
import type { DependencyBreaker } from './dependency-breaker';

/**
 * The ReadShards port with a circuit breaker per shard (a shard may be a server of its own): transactions, queries and
 * checkpoint reads of a shard go through its breaker, so a shard that is down is refused at once while the others
 * serve on. Building and dropping a generation's tables and fencing a partition, which touch every shard and happen
 * when a replay or a new owner starts, are not guarded; the checkpoint advance runs inside a guarded transaction.
 */
export class BreakingReadShards implements ReadShards {
  private readonly used = new Set<number>([0]);

  constructor(
    private readonly shards: ReadShards,
    /** The breaker of a shard (`read shard <i>`). */
    private readonly breakerOf: (shard: number) => DependencyBreaker,
  ) {}

  transaction<T>(shard: number, work: (sql: SqlExecutor) => Promise<T>): Promise<T> {
    return this.guard(shard, () => this.shards.transaction(shard, work));
  }

  query<Row>(shard: number, sql: string, values?: readonly unknown[]): Promise<Row[]> {
    return this.guard(shard, () => this.shards.query<Row>(shard, sql, values));
  }

  ensureTables(generation: Generation, ddl: readonly string[]): Promise<void> {
    return this.shards.ensureTables(generation, ddl);
  }

  dropTables(generation: Generation, tables: readonly string[]): Promise<void> {
    return this.shards.dropTables(generation, tables);
  }

  advanceCheckpoints(
    sql: SqlExecutor,
    generation: Generation,
    advances: readonly PartitionAdvance[],
  ): Promise<void> {
    return this.shards.advanceCheckpoints(sql, generation, advances);
  }

  fence(generation: Generation, partition: number, epoch: number): Promise<void> {
    return this.shards.fence(generation, partition, epoch);
  }

  checkpoints(generation: Generation, shard: number): Promise<ReadonlyMap<number, bigint>> {
    return this.guard(shard, () => this.shards.checkpoints(generation, shard));
  }

  /** Shard 0 and every shard used so far, each through its own breaker (an open one answers at once). */
  async ping(): Promise<void> {
    await Promise.all([...this.used].map((shard) => this.query(shard, 'SELECT 1')));
  }

  private guard<T>(shard: number, call: () => Promise<T>): Promise<T> {
    this.used.add(shard);
    return this.breakerOf(shard).execute(call);
  }
}
