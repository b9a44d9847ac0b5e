import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { RelayCheckpoint } from '../../projections/relay';

const SCHEMA = `CREATE TABLE IF NOT EXISTS relay_checkpoints (
  name VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  position BIGINT UNSIGNED NOT NULL
) ENGINE=InnoDB`;

/** The relay's checkpoint, kept in the event store's database. */
export class MySqlRelayCheckpoint implements RelayCheckpoint {
  constructor(
    private readonly pool: Pool,
    private readonly name: string,
  ) {}

  async migrate(): Promise<void> {
    await this.pool.query(SCHEMA);
  }

  async load(): Promise<bigint> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      'SELECT position FROM relay_checkpoints WHERE name = ?',
      [this.name],
    );
    return BigInt(String(rows[0]?.position ?? '0'));
  }

  async save(position: bigint): Promise<void> {
    await this.pool.query(
      'INSERT INTO relay_checkpoints (name, position) VALUES (?, ?) ON DUPLICATE KEY UPDATE position = GREATEST(position, VALUES(position))',
      [this.name, position.toString()],
    );
  }
}
