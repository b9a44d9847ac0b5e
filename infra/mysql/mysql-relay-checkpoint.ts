import type { Pool, RowDataPacket } from 'mysql2/promise';
import { START_OF_LOG, type LogPosition } from '../../commands/event-store-port';
import type { RelayCheckpoint } from '../../projections/relay';

const SCHEMA = `CREATE TABLE IF NOT EXISTS relay_checkpoints (
  name VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  position BIGINT UNSIGNED NOT NULL,
  prepare_position BIGINT UNSIGNED NOT NULL DEFAULT 0
) ENGINE=InnoDB`;

/** The relay's checkpoint, both parts of an EventStoreDB position, kept in a MySQL database. */
export class MySqlRelayCheckpoint implements RelayCheckpoint {
  constructor(
    private readonly pool: Pool,
    private readonly name: string,
  ) {}

  async migrate(): Promise<void> {
    await this.pool.query(SCHEMA);
    const [columns] = await this.pool.query<RowDataPacket[]>(
      "SHOW COLUMNS FROM relay_checkpoints LIKE 'prepare_position'",
    );
    if (columns.length === 0)
      await this.pool.query(
        'ALTER TABLE relay_checkpoints ADD COLUMN prepare_position BIGINT UNSIGNED NOT NULL DEFAULT 0',
      );
  }

  async load(): Promise<LogPosition> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      'SELECT position, prepare_position FROM relay_checkpoints WHERE name = ?',
      [this.name],
    );
    const row = rows[0];
    if (!row) return START_OF_LOG;
    const commit = BigInt(String(row.position));
    // Rows written before prepare positions were kept hold 0: the commit position is the right resume point there.
    const prepare = BigInt(String(row.prepare_position));
    return { commit, prepare: prepare === 0n ? commit : prepare };
  }

  async save(position: LogPosition): Promise<void> {
    await this.pool.query(
      `INSERT INTO relay_checkpoints (name, position, prepare_position) VALUES (?, ?, ?)
       ON DUPLICATE KEY UPDATE prepare_position = IF(VALUES(position) >= position, VALUES(prepare_position), prepare_position),
         position = GREATEST(position, VALUES(position))`,
      [this.name, position.commit.toString(), position.prepare.toString()],
    );
  }
}
