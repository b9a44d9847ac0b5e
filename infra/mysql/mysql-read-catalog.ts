import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { ProjectionName } from '../../projections/projection';
import type { Generation, ReadModelCatalog } from '../../projections/read-model-ports';

const SCHEMA = `CREATE TABLE IF NOT EXISTS read_model_generations (
  projection VARCHAR(32) CHARACTER SET ascii NOT NULL,
  generation INT NOT NULL,
  shards INT NOT NULL,
  state VARCHAR(16) CHARACTER SET ascii NOT NULL,
  changed_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (projection, generation)
) ENGINE=InnoDB`;

/** The catalog of read-model generations, in its own database. Promotion is one transaction. */
export class MySqlReadCatalog implements ReadModelCatalog {
  constructor(private readonly pool: Pool) {}

  async migrate(): Promise<void> {
    await this.pool.query(SCHEMA);
  }

  async current(projection: ProjectionName): Promise<Generation[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      "SELECT projection, generation, shards, state FROM read_model_generations WHERE projection = ? AND state IN ('live', 'building') ORDER BY generation",
      [projection],
    );
    return rows.map((r) => ({
      projection,
      generation: Number(r.generation),
      shards: Number(r.shards),
      state: r.state as Generation['state'],
    }));
  }

  async ensureLive(projection: ProjectionName, shards: number): Promise<Generation> {
    await this.pool.query(
      `INSERT IGNORE INTO read_model_generations (projection, generation, shards, state)
       SELECT ?, 1, ?, 'live' FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM read_model_generations WHERE projection = ?)`,
      [projection, shards, projection],
    );
    const live = (await this.current(projection)).find((g) => g.state === 'live');
    if (!live) throw new Error(`projection ${projection} has no live generation`);
    return live;
  }

  async startBuilding(projection: ProjectionName, shards: number): Promise<Generation> {
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
        "INSERT INTO read_model_generations (projection, generation, shards, state) VALUES (?, ?, ?, 'building')",
        [projection, generation, shards],
      );
      await connection.commit();
      return { projection, generation, shards, state: 'building' };
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
