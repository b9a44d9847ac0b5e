import type { Pool, RowDataPacket } from 'mysql2/promise';
import { START_OF_LOG } from '../../commands/event-store-port';
import type { PartitionHeads } from '../../projections/partition-sequencer';
import type { RelayCheckpoint, RelayState } from '../../projections/relay';

const SCHEMA = `CREATE TABLE IF NOT EXISTS relay_checkpoints (
  name VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  position BIGINT UNSIGNED NOT NULL,
  prepare_position BIGINT UNSIGNED NOT NULL DEFAULT 0,
  heads MEDIUMTEXT CHARACTER SET ascii NULL
) ENGINE=InnoDB`;

/** Columns added since the table was first made: added to tables of older installs. */
const ADDED_COLUMNS: readonly [name: string, definition: string][] = [
  ['prepare_position', 'BIGINT UNSIGNED NOT NULL DEFAULT 0'],
  ['heads', 'MEDIUMTEXT CHARACTER SET ascii NULL'],
];

interface HeadsJson {
  partitions: number;
  heads: Record<string, string>;
}

const encodeHeads = ({ partitions, heads }: PartitionHeads): string =>
  JSON.stringify({
    partitions,
    heads: Object.fromEntries([...heads].map(([key, position]) => [key, position.toString()])),
  } satisfies HeadsJson);

const decodeHeads = (text: string): PartitionHeads => {
  const { partitions, heads } = JSON.parse(text) as HeadsJson;
  return { partitions, heads: new Map(Object.entries(heads).map(([key, p]) => [key, BigInt(p)])) };
};

/**
 * The relay's checkpoint, in a MySQL database: both parts of an EventStoreDB position, and the head of every
 * partition of every projection's stream (JSON), written together in one row.
 */
export class MySqlRelayCheckpoint implements RelayCheckpoint {
  constructor(
    private readonly pool: Pool,
    private readonly name: string,
  ) {}

  async migrate(): Promise<void> {
    await this.pool.query(SCHEMA);
    for (const [name, definition] of ADDED_COLUMNS) {
      const [columns] = await this.pool.query<RowDataPacket[]>('SHOW COLUMNS FROM relay_checkpoints LIKE ?', [
        name,
      ]);
      if (columns.length === 0)
        await this.pool.query(`ALTER TABLE relay_checkpoints ADD COLUMN ${name} ${definition}`);
    }
  }

  async load(): Promise<RelayState> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      'SELECT position, prepare_position, heads FROM relay_checkpoints WHERE name = ?',
      [this.name],
    );
    const row = rows[0];
    if (!row) return { position: START_OF_LOG, heads: null };
    const commit = BigInt(String(row.position));
    // Rows written before prepare positions were kept hold 0: the commit position is the right resume point there.
    const prepare = BigInt(String(row.prepare_position));
    return {
      position: { commit, prepare: prepare === 0n ? commit : prepare },
      heads: typeof row.heads === 'string' ? decodeHeads(row.heads) : null,
    };
  }

  /** One relay writes its row; the position only moves forward, and the heads go with the position written. */
  async save({ position, heads }: RelayState & { readonly heads: PartitionHeads }): Promise<void> {
    await this.pool.query(
      `INSERT INTO relay_checkpoints (name, position, prepare_position, heads) VALUES (?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE
         prepare_position = IF(VALUES(position) >= position, VALUES(prepare_position), prepare_position),
         heads = IF(VALUES(position) >= position, VALUES(heads), heads),
         position = GREATEST(position, VALUES(position))`,
      [this.name, position.commit.toString(), position.prepare.toString(), encodeHeads(heads)],
    );
  }
}
