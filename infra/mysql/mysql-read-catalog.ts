import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { ProjectionName } from '../../projections/projection';
import type {
  DeadLetter,
  DeadLetters,
  Generation,
  ReadModelCatalog,
} from '../../projections/read-model-ports';

const SCHEMA = `CREATE TABLE IF NOT EXISTS read_model_generations (
  projection VARCHAR(32) CHARACTER SET ascii NOT NULL,
  generation INT NOT NULL,
  shards INT NOT NULL,
  partitions INT NOT NULL DEFAULT 0,
  state VARCHAR(16) CHARACTER SET ascii NOT NULL,
  changed_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (projection, generation)
) ENGINE=InnoDB`;

const DEAD_LETTERS = `CREATE TABLE IF NOT EXISTS projection_dead_letters (
  projection VARCHAR(32) CHARACTER SET ascii NOT NULL,
  generation INT NOT NULL,
  event_id VARCHAR(64) CHARACTER SET ascii NOT NULL,
  position BIGINT UNSIGNED NOT NULL,
  stream_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  event_type VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  schema_version INT NOT NULL,
  reason TEXT NOT NULL,
  recorded_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (projection, generation, event_id),
  KEY by_position (projection, generation, position)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

/**
 * The catalog of read-model generations, in its own database (promotion is one transaction), and the events each
 * generation had to set aside.
 */
export class MySqlReadCatalog implements ReadModelCatalog, DeadLetters {
  constructor(private readonly pool: Pool) {}

  async migrate(): Promise<void> {
    await this.pool.query(SCHEMA);
    await this.pool.query(DEAD_LETTERS);
    // Generations from before partitioned streams keep 0: a projector refuses them until a replay rebuilds them.
    const [columns] = await this.pool.query<RowDataPacket[]>(
      "SHOW COLUMNS FROM read_model_generations LIKE 'partitions'",
    );
    if (columns.length === 0)
      await this.pool.query(
        'ALTER TABLE read_model_generations ADD COLUMN partitions INT NOT NULL DEFAULT 0 AFTER shards',
      );
  }

  async record(generation: Generation, letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.pool.query(
      `INSERT IGNORE INTO projection_dead_letters
         (projection, generation, event_id, position, stream_id, event_type, schema_version, reason) VALUES ?`,
      [
        letters.map((l) => [
          generation.projection,
          generation.generation,
          l.eventId.slice(0, 64),
          l.position.toString(),
          l.streamId.slice(0, 255),
          l.type.slice(0, 100),
          l.schemaVersion,
          l.reason.slice(0, 4000),
        ]),
      ],
    );
  }

  async count(projection: ProjectionName, generation: number): Promise<number> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM projection_dead_letters WHERE projection = ? AND generation = ?',
      [projection, generation],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async list(projection: ProjectionName, generation: number, limit: number): Promise<DeadLetter[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT event_id, position, stream_id, event_type, schema_version, reason FROM projection_dead_letters
       WHERE projection = ? AND generation = ? ORDER BY position LIMIT ?`,
      [projection, generation, limit],
    );
    return rows.map((r) => ({
      eventId: String(r.event_id),
      position: BigInt(String(r.position)),
      streamId: String(r.stream_id),
      type: String(r.event_type),
      schemaVersion: Number(r.schema_version),
      reason: String(r.reason),
    }));
  }

  async current(projection: ProjectionName): Promise<Generation[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      "SELECT projection, generation, shards, partitions, state FROM read_model_generations WHERE projection = ? AND state IN ('live', 'building') ORDER BY generation",
      [projection],
    );
    return rows.map((r) => ({
      projection,
      generation: Number(r.generation),
      shards: Number(r.shards),
      partitions: Number(r.partitions),
      state: r.state as Generation['state'],
    }));
  }

  async ensureLive(projection: ProjectionName, shards: number, partitions: number): Promise<Generation> {
    await this.pool.query(
      `INSERT IGNORE INTO read_model_generations (projection, generation, shards, partitions, state)
       SELECT ?, 1, ?, ?, 'live' FROM DUAL
       WHERE NOT EXISTS (SELECT 1 FROM read_model_generations WHERE projection = ?)`,
      [projection, shards, partitions, projection],
    );
    const live = (await this.current(projection)).find((g) => g.state === 'live');
    if (!live) throw new Error(`projection ${projection} has no live generation`);
    return live;
  }

  async startBuilding(projection: ProjectionName, shards: number, partitions: number): Promise<Generation> {
    const connection = await this.pool.getConnection();
    try {
      await connection.beginTransaction();
      const [rows] = await connection.query<RowDataPacket[]>(
        'SELECT COALESCE(MAX(generation), 0) AS latest FROM read_model_generations WHERE projection = ? FOR UPDATE',
        [projection],
      );
      const generation = Number(rows[0]?.latest ?? 0) + 1;
      await connection.query(
        "UPDATE read_model_generations SET state = 'abandoned' WHERE projection = ? AND state = 'building'",
        [projection],
      );
      await connection.query(
        "INSERT INTO read_model_generations (projection, generation, shards, partitions, state) VALUES (?, ?, ?, ?, 'building')",
        [projection, generation, shards, partitions],
      );
      await connection.commit();
      return { projection, generation, shards, partitions, state: 'building' };
    } catch (error) {
      await connection.rollback();
      throw error;
    } finally {
      connection.release();
    }
  }

  async promote(generation: Generation): Promise<Generation | null> {
    const previous = (await this.current(generation.projection)).find((g) => g.state === 'live') ?? null;
    const connection = await this.pool.getConnection();
    try {
      await connection.beginTransaction();
      await connection.query(
        "UPDATE read_model_generations SET state = 'retired' WHERE projection = ? AND state = 'live'",
        [generation.projection],
      );
      await connection.query(
        "UPDATE read_model_generations SET state = 'live' WHERE projection = ? AND generation = ?",
        [generation.projection, generation.generation],
      );
      await connection.commit();
    } catch (error) {
      await connection.rollback();
      throw error;
    } finally {
      connection.release();
    }
    return previous;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async abandon(generation: Generation): Promise<void> {
    await this.pool.query(
      "UPDATE read_model_generations SET state = 'abandoned' WHERE projection = ? AND generation = ?",
      [generation.projection, generation.generation],
    );
  }
}
