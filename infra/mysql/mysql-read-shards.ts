import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { DependencyUnavailableError } from '../../commands/dependency-error';
import { advanceFrontier, type Span } from '../../projections/checkpoint-frontier';
import {
  FencedError,
  type Generation,
  type PartitionAdvance,
  type ReadShards,
} from '../../projections/read-model-ports';
import type { SqlExecutor } from '../../projections/sql-executor-port';
import { classifySqlError } from './mysql-errors';
import { createMySqlPool, ensureDatabase } from './mysql-pool';

/** A column or index that exists already: what an idempotent `ALTER TABLE … ADD` meets on a rerun. */
const isDuplicateColumn = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  'code' in error &&
  (error.code === 'ER_DUP_FIELDNAME' || error.code === 'ER_DUP_KEYNAME');

export interface ShardMap {
  /** Shard i's database URL. */
  urlOf(shard: number): string;
}

/**
 * Shard databases from a shard map: explicit URLs (COUPONKILL_READ_SHARD_URLS) or, beyond them, databases named
 * `<base>_<i>` on the base server, so a replay into more shards finds its databases without new settings.
 */
export const shardMap = (baseUrl: string, explicit: readonly string[]): ShardMap => ({
  urlOf: (shard) => {
    const given = explicit[shard];
    if (given) return given;
    const url = new URL(baseUrl);
    url.pathname = `${url.pathname.replace(/\/$/, '')}_${shard}`;
    return url.toString();
  },
});

/**
 * Per generation and partition: everything of the partition up to `position` is applied in this shard; `epoch` is the
 * highest lease epoch that wrote or fenced it (a write under a lower one is refused).
 */
const CHECKPOINTS = `CREATE TABLE IF NOT EXISTS projection_partition_checkpoints (
  projection VARCHAR(32) CHARACTER SET ascii NOT NULL,
  generation INT NOT NULL,
  partition_no SMALLINT UNSIGNED NOT NULL,
  position BIGINT NOT NULL,
  epoch BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (projection, generation, partition_no)
) ENGINE=InnoDB`;

/** Runs applied beyond a gap in a partition's checkpoint (a bus that redelivers out of order leaves some). */
const PENDING_SPANS = `CREATE TABLE IF NOT EXISTS projection_partition_spans (
  projection VARCHAR(32) CHARACTER SET ascii NOT NULL,
  generation INT NOT NULL,
  partition_no SMALLINT UNSIGNED NOT NULL,
  after_position BIGINT NOT NULL,
  up_to_position BIGINT NOT NULL,
  PRIMARY KEY (projection, generation, partition_no, after_position)
) ENGINE=InnoDB`;

const BOOKKEEPING = ['projection_partition_checkpoints', 'projection_partition_spans'] as const;

const spanList = (spans: readonly Span[]): string =>
  spans
    .map((s) => `${s.after}-${s.upTo}`)
    .sort()
    .join();

interface CheckpointRow {
  partition_no: number;
  position: string;
  epoch: string;
  after_position: string | null;
  up_to_position: string | null;
}

export class MySqlReadShards implements ReadShards {
  private readonly pools = new Map<number, Promise<Pool>>();

  constructor(
    private readonly map: ShardMap,
    private readonly connectionLimit: number,
  ) {}

  async transaction<T>(shard: number, work: (sql: SqlExecutor) => Promise<T>): Promise<T> {
    const pool = await this.pool(shard);
    let connection: PoolConnection | undefined;
    try {
      connection = await pool.getConnection();
      await connection.beginTransaction();
      const conn = connection;
      const result = await work({
        query: async <Row>(sql: string, values?: readonly unknown[]) =>
          (await conn.query(sql, values as unknown[] | undefined))[0] as Row[],
      });
      await connection.commit();
      return result;
    } catch (error) {
      await connection?.rollback().catch(() => undefined);
      throw classifySqlError(error, `read shard ${shard}`);
    } finally {
      connection?.release();
    }
  }

  async query<Row>(shard: number, sql: string, values: readonly unknown[] = []): Promise<Row[]> {
    try {
      const [rows] = await (await this.pool(shard)).query<RowDataPacket[]>(sql, values as unknown[]);
      return rows as Row[];
    } catch (error) {
      throw classifySqlError(error, `read shard ${shard}`);
    }
  }

  async ensureTables(generation: Generation, ddl: readonly string[]): Promise<void> {
    const rows = Array.from({ length: generation.partitions }, (_, partition) => [
      generation.projection,
      generation.generation,
      partition,
    ]);
    for (let shard = 0; shard < generation.shards; shard++) {
      for (const statement of [CHECKPOINTS, PENDING_SPANS, ...ddl]) await this.ddl(shard, statement);
      if (rows.length > 0)
        await this.query(
          shard,
          'INSERT IGNORE INTO projection_partition_checkpoints (projection, generation, partition_no, position) VALUES ?',
          [rows.map((row) => [...row, 0])],
        );
    }
  }

  /** DDL is idempotent: a table or column that exists already (an added column on a rerun) is not an error. */
  private async ddl(shard: number, statement: string): Promise<void> {
    try {
      await (await this.pool(shard)).query(statement);
    } catch (error) {
      if (isDuplicateColumn(error)) return;
      throw new DependencyUnavailableError(`read shard ${shard}`, error);
    }
  }

  async dropTables(generation: Generation, tables: readonly string[]): Promise<void> {
    for (let shard = 0; shard < generation.shards; shard++) {
      if (tables.length > 0) await this.query(shard, `DROP TABLE IF EXISTS ${tables.join(', ')}`);
      for (const table of BOOKKEEPING)
        await this.query(shard, `DELETE FROM ${table} WHERE projection = ? AND generation = ?`, [
          generation.projection,
          generation.generation,
        ]);
    }
  }

  async advanceCheckpoints(
    sql: SqlExecutor,
    generation: Generation,
    advances: readonly PartitionAdvance[],
  ): Promise<void> {
    if (advances.length === 0) return;
    const key = [generation.projection, generation.generation];
    const partitions = advances.map((a) => a.partition);
    // The checkpoint rows' locks serialise writers of a partition in this shard (one owner, and a fencing new one).
    // The primary key is forced: on a table of a few rows the optimiser would scan it, and a locking read waits for
    // every row it scans, so one replica's slow batch would hold up every other replica's (test/partition-fencing).
    const rows = await sql.query<CheckpointRow>(
      `SELECT c.partition_no, c.position, c.epoch, p.after_position, p.up_to_position
       FROM projection_partition_checkpoints c FORCE INDEX (PRIMARY)
       LEFT JOIN projection_partition_spans p FORCE INDEX (PRIMARY)
         ON p.projection = c.projection AND p.generation = c.generation AND p.partition_no = c.partition_no
       WHERE c.projection = ? AND c.generation = ? AND c.partition_no IN (?) FOR UPDATE`,
      [...key, partitions],
    );
    const stored = new Map<number, { frontier: bigint; epoch: number; pending: Span[] }>();
    for (const row of rows) {
      const partition = row.partition_no;
      const entry = stored.get(partition) ?? {
        frontier: BigInt(row.position),
        epoch: Number(row.epoch),
        pending: [],
      };
      if (row.after_position !== null && row.up_to_position !== null)
        entry.pending.push({ after: BigInt(row.after_position), upTo: BigInt(row.up_to_position) });
      stored.set(partition, entry);
    }
    const fenced = advances.filter(
      ({ partition, epoch }) => epoch !== null && epoch < (stored.get(partition)?.epoch ?? 0),
    );
    if (fenced.length > 0) throw new FencedError(fenced.map((a) => a.partition));
    const updates: unknown[][] = [];
    for (const { partition, epoch, applied } of advances) {
      const {
        frontier,
        epoch: storedEpoch,
        pending,
      } = stored.get(partition) ?? {
        frontier: 0n,
        epoch: 0,
        pending: [],
      };
      const next = advanceFrontier(frontier, pending, applied);
      const nextEpoch = epoch === null ? storedEpoch : Math.max(epoch, storedEpoch);
      if (spanList(next.pending) !== spanList(pending)) {
        if (pending.length > 0)
          await sql.query(
            'DELETE FROM projection_partition_spans WHERE projection = ? AND generation = ? AND partition_no = ?',
            [...key, partition],
          );
        if (next.pending.length > 0)
          await sql.query(
            `INSERT INTO projection_partition_spans
               (projection, generation, partition_no, after_position, up_to_position) VALUES ?`,
            [next.pending.map((s) => [...key, partition, s.after.toString(), s.upTo.toString()])],
          );
      }
      if (next.frontier !== frontier || nextEpoch !== storedEpoch || !stored.has(partition))
        updates.push([...key, partition, next.frontier.toString(), nextEpoch]);
    }
    if (updates.length > 0)
      await sql.query(
        `INSERT INTO projection_partition_checkpoints (projection, generation, partition_no, position, epoch) VALUES ?
         ON DUPLICATE KEY UPDATE position = VALUES(position), epoch = VALUES(epoch)`,
        [updates],
      );
  }

  async fence(generation: Generation, partition: number, epoch: number): Promise<void> {
    await Promise.all(
      Array.from({ length: generation.shards }, (_, shard) =>
        this.query(
          shard,
          `INSERT INTO projection_partition_checkpoints (projection, generation, partition_no, position, epoch)
           VALUES (?, ?, ?, 0, ?) ON DUPLICATE KEY UPDATE epoch = GREATEST(epoch, VALUES(epoch))`,
          [generation.projection, generation.generation, partition, epoch],
        ),
      ),
    );
  }

  async checkpoints(generation: Generation, shard: number): Promise<ReadonlyMap<number, bigint>> {
    const rows = await this.query<{ partition_no: number; position: string }>(
      shard,
      'SELECT partition_no, position FROM projection_partition_checkpoints WHERE projection = ? AND generation = ?',
      [generation.projection, generation.generation],
    );
    return new Map(rows.map((r) => [r.partition_no, BigInt(r.position)]));
  }

  /** Shard 0 and every shard this process has opened. */
  async ping(): Promise<void> {
    const shards = new Set([0, ...this.pools.keys()]);
    await Promise.all([...shards].map((shard) => this.query(shard, 'SELECT 1')));
  }

  async close(): Promise<void> {
    const pools = await Promise.allSettled(this.pools.values());
    await Promise.all(pools.flatMap((p) => (p.status === 'fulfilled' ? [p.value.end()] : [])));
  }

  private pool(shard: number): Promise<Pool> {
    let pool = this.pools.get(shard);
    if (!pool) {
      const url = this.map.urlOf(shard);
      pool = ensureDatabase(url).then(() =>
        createMySqlPool({ url, connectionLimit: this.connectionLimit, lockWaitTimeoutSeconds: 10 }),
      );
      pool.catch(() => this.pools.delete(shard));
      this.pools.set(shard, pool);
    }
    return pool;
  }
}
