import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { GroupView, LeaseGroup, PartitionLeases } from '../../projections/partition-leases-port';
import { classifySqlError } from './mysql-errors';

const MEMBERS = `CREATE TABLE IF NOT EXISTS projection_members (
  projection VARCHAR(32) CHARACTER SET ascii NOT NULL,
  member VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  expires_at TIMESTAMP(3) NOT NULL,
  PRIMARY KEY (projection, member)
) ENGINE=InnoDB`;

const LEASES = `CREATE TABLE IF NOT EXISTS projection_leases (
  projection VARCHAR(32) CHARACTER SET ascii NOT NULL,
  partition_no SMALLINT UNSIGNED NOT NULL,
  owner VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
  epoch BIGINT NOT NULL DEFAULT 0,
  expires_at TIMESTAMP(3) NOT NULL DEFAULT '1970-01-01 00:00:01',
  PRIMARY KEY (projection, partition_no)
) ENGINE=InnoDB`;

/** Member rows gone this long are deleted (each projector process joins under a new name). */
const FORGET_MEMBERS_AFTER = 'INTERVAL 1 HOUR';

const microseconds = (ms: number): number => Math.round(ms * 1000);

/**
 * Partition leases in the read catalog database. Every expiry is computed and compared with the database's own clock
 * (NOW(3)), so replicas' clocks need not agree; an epoch only grows (every claim adds one), and a release keeps it.
 */
export class MySqlPartitionLeases implements PartitionLeases {
  private readonly seeded = new Set<string>();

  constructor(private readonly pool: Pool) {}

  async migrate(): Promise<void> {
    await this.pool.query(MEMBERS);
    await this.pool.query(LEASES);
  }

  async heartbeat(
    projection: LeaseGroup,
    partitions: number,
    member: string,
    ttlMs: number,
  ): Promise<GroupView> {
    return this.guard(async () => {
      await this.seed(projection, partitions);
      const ttl = microseconds(ttlMs);
      await this.pool.query(
        `INSERT INTO projection_members (projection, member, expires_at)
         VALUES (?, ?, TIMESTAMPADD(MICROSECOND, ?, NOW(3)))
         ON DUPLICATE KEY UPDATE expires_at = VALUES(expires_at)`,
        [projection, member, ttl],
      );
      await this.pool.query(
        `UPDATE projection_leases SET expires_at = TIMESTAMPADD(MICROSECOND, ?, NOW(3))
         WHERE projection = ? AND owner = ?`,
        [ttl, projection, member],
      );
      const [members] = await this.pool.query<RowDataPacket[]>(
        'SELECT member FROM projection_members WHERE projection = ? AND expires_at > NOW(3) ORDER BY member',
        [projection],
      );
      const [leases] = await this.pool.query<RowDataPacket[]>(
        `SELECT partition_no, owner, epoch, expires_at > NOW(3) AS live FROM projection_leases
         WHERE projection = ? AND partition_no < ? ORDER BY partition_no`,
        [projection, partitions],
      );
      await this.pool.query(
        `DELETE FROM projection_members WHERE projection = ? AND expires_at < NOW(3) - ${FORGET_MEMBERS_AFTER}`,
        [projection],
      );
      return {
        members: members.map((r) => String(r.member)),
        leases: leases.map((r) => ({
          partition: Number(r.partition_no),
          owner: r.owner === null ? null : String(r.owner),
          epoch: Number(r.epoch),
          live: Number(r.live) === 1,
        })),
      };
    });
  }

  async claim(
    projection: LeaseGroup,
    partition: number,
    member: string,
    ttlMs: number,
  ): Promise<number | null> {
    return this.guard(async () => {
      const [result] = await this.pool.query<ResultSetHeader>(
        `UPDATE projection_leases
         SET owner = ?, epoch = epoch + 1, expires_at = TIMESTAMPADD(MICROSECOND, ?, NOW(3))
         WHERE projection = ? AND partition_no = ? AND (owner IS NULL OR expires_at <= NOW(3))`,
        [member, microseconds(ttlMs), projection, partition],
      );
      if (result.affectedRows !== 1) return null;
      // Nobody can claim it again before the lease we just wrote lapses, so this is our epoch.
      const [rows] = await this.pool.query<RowDataPacket[]>(
        'SELECT epoch FROM projection_leases WHERE projection = ? AND partition_no = ? AND owner = ?',
        [projection, partition, member],
      );
      return rows[0] ? Number(rows[0].epoch) : null;
    });
  }

  async release(projection: LeaseGroup, member: string, partitions: readonly number[]): Promise<void> {
    if (partitions.length === 0) return;
    await this.guard(() =>
      this.pool.query(
        'UPDATE projection_leases SET owner = NULL WHERE projection = ? AND owner = ? AND partition_no IN (?)',
        [projection, member, partitions],
      ),
    );
  }

  async leave(projection: LeaseGroup, member: string): Promise<void> {
    await this.guard(async () => {
      await this.pool.query('UPDATE projection_leases SET owner = NULL WHERE projection = ? AND owner = ?', [
        projection,
        member,
      ]);
      await this.pool.query('DELETE FROM projection_members WHERE projection = ? AND member = ?', [
        projection,
        member,
      ]);
    });
  }

  /** One row per partition, made once per process and count. */
  private async seed(projection: LeaseGroup, partitions: number): Promise<void> {
    const key = `${projection}/${String(partitions)}`;
    if (this.seeded.has(key)) return;
    await this.pool.query('INSERT IGNORE INTO projection_leases (projection, partition_no) VALUES ?', [
      Array.from({ length: partitions }, (_, p) => [projection, p]),
    ]);
    this.seeded.add(key);
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw classifySqlError(error, 'read catalog');
    }
  }
}
