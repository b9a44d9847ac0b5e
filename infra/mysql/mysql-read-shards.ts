import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { DependencyUnavailableError } from '../../commands/dependency-error';
import { advanceFrontier, type Span } from '../../projections/checkpoint-frontier';
import type { Generation, ReadShards } from '../../projections/read-model-ports';
import type { SqlExecutor } from '../../projections/sql-executor-port';
import { classifySqlError } from './mysql-errors';
import { createMySqlPool, ensureDatabase } from './mysql-pool';

const isDuplicateColumn = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && 'code' in error && error.code === 'ER_DUP_FIELDNAME';

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

const CHECKPOINTS = `CREATE TABLE IF NOT EXISTS projection_checkpoints (
  projection VARCHAR(32) CHARACTER SET ascii NOT NULL,
  generation INT NOT NULL,
  position BIGINT NOT NULL,
  PRIMARY KEY (projection, generation)
) ENGINE=InnoDB`;

/** Runs applied beyond a gap in the checkpoint (a bus that delivers streams out of global order leaves some). */
const PENDING_SPANS = `CREATE TABLE IF NOT EXISTS projection_pending_spans (
  projection VARCHAR(32) CHARACTER SET ascii NOT NULL,
  generation INT NOT NULL,
  after_position BIGINT NOT NULL,
  up_to_position BIGINT NOT NULL,
  PRIMARY KEY (projection, generation, after_position)
) ENGINE=InnoDB`;

const spanList = (spans: readonly Span[]): string =>
  spans
    .map((s) => `${s.after}-${s.upTo}`)
    .sort()
    .join();

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
    for (let shard = 0; shard < generation.shards; shard++) {
      for (const statement of [CHECKPOINTS, PENDING_SPANS, ...ddl]) await this.ddl(shard, statement);
      await this.query(
        shard,
        'INSERT IGNORE INTO projection_checkpoints (projection, generation, position) VALUES (?, ?, 0)',
        [generation.projection, generation.generation],
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
      for (const table of ['projection_checkpoints', 'projection_pending_spans'])
        await this.query(shard, `DELETE FROM ${table} WHERE projection = ? AND generation = ?`, [
          generation.projection,
          generation.generation,
        ]);
    }
  }

  async advanceCheckpoint(sql: SqlExecutor, generation: Generation, applied: readonly Span[]): Promise<void> {
    const key = [generation.projection, generation.generation];
    // The checkpoint row's lock serialises writers of this generation in this shard.
    const rows = await sql.query<{
      position: string;
      after_position: string | null;
      up_to_position: string | null;
    }>(
      `SELECT c.position, p.after_position, p.up_to_position FROM projection_checkpoints c
       LEFT JOIN projection_pending_spans p ON p.projection = c.projection AND p.generation = c.generation
       WHERE c.projection = ? AND c.generation = ? FOR UPDATE`,
      key,
    );
    const frontier = BigInt(rows[0]?.position ?? '0');
    const pending = rows.flatMap((r) =>
      r.after_position === null || r.up_to_position === null
        ? []
        : [{ after: BigInt(r.after_position), upTo: BigInt(r.up_to_position) }],
    );
    const next = advanceFrontier(frontier, pending, applied);
    if (spanList(next.pending) !== spanList(pending)) {
      if (pending.length > 0)
        await sql.query('DELETE FROM projection_pending_spans WHERE projection = ? AND generation = ?', key);
      if (next.pending.length > 0)
        await sql.query(
          'INSERT INTO projection_pending_spans (projection, generation, after_position, up_to_position) VALUES ?',
          [next.pending.map((s) => [...key, s.after.toString(), s.upTo.toString()])],
        );
    }
    await sql.query(
      `INSERT INTO projection_checkpoints (projection, generation, position) VALUES (?, ?, ?)
       ON DUPLICATE KEY UPDATE position = VALUES(position)`,
      [...key, next.frontier.toString()],
    );
  }

  async checkpoint(generation: Generation, shard: number): Promise<bigint> {
    const rows = await this.query<{ position: string }>(
      shard,
      'SELECT position FROM projection_checkpoints WHERE projection = ? AND generation = ?',
      [generation.projection, generation.generation],
    );
    return BigInt(rows[0]?.position ?? '0');
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
