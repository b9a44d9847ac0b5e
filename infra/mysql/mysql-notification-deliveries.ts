import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type {
  NotificationDeadLetter,
  NotificationDeliveries,
} from '../../projections/notifications/notification-channel-port';
import type {
  NotificationCursor,
  NotificationView,
} from '../../projections/notifications/notifications-queries';
import { classifySqlError } from './mysql-errors';

const DELIVERIES = `CREATE TABLE IF NOT EXISTS notification_deliveries (
  channel VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  position BIGINT UNSIGNED NULL,
  notification_id VARCHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
  owner VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
  expires_at TIMESTAMP(3) NOT NULL DEFAULT '1970-01-01 00:00:01'
) ENGINE=InnoDB`;

const DEAD_LETTERS = `CREATE TABLE IF NOT EXISTS notification_dead_letters (
  channel VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  notification_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kind VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  position BIGINT UNSIGNED NOT NULL,
  notification MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  attempts INT NOT NULL,
  reason TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  failed_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (channel, notification_id),
  KEY by_position (channel, position)
) ENGINE=InnoDB`;

const microseconds = (ms: number): number => Math.round(ms * 1000);

/**
 * Delivery progress, lease and dead letters of notification channels, in the read catalog database: one row per
 * channel (cursor, owner, lease expiry by the database's clock) and one per notification given up on.
 */
export class MySqlNotificationDeliveries implements NotificationDeliveries {
  constructor(private readonly pool: Pool) {}

  async migrate(): Promise<void> {
    await this.pool.query(DELIVERIES);
    await this.pool.query(DEAD_LETTERS);
  }

  acquire(
    channel: string,
    owner: string,
    ttlMs: number,
  ): Promise<{ readonly cursor: NotificationCursor | null } | null> {
    return this.guard(async () => {
      await this.pool.query('INSERT IGNORE INTO notification_deliveries (channel) VALUES (?)', [channel]);
      const [taken] = await this.pool.query<ResultSetHeader>(
        `UPDATE notification_deliveries SET owner = ?, expires_at = TIMESTAMPADD(MICROSECOND, ?, NOW(3))
         WHERE channel = ? AND (owner = ? OR owner IS NULL OR expires_at <= NOW(3))`,
        [owner, microseconds(ttlMs), channel, owner],
      );
      if (taken.affectedRows !== 1) return null;
      const [rows] = await this.pool.query<RowDataPacket[]>(
        'SELECT position, notification_id FROM notification_deliveries WHERE channel = ? AND owner = ?',
        [channel, owner],
      );
      const row = rows[0];
      if (!row) return null;
      return {
        cursor:
          row.position === null
            ? null
            : { position: BigInt(String(row.position)), notificationId: String(row.notification_id) },
      };
    });
  }

  advance(channel: string, owner: string, cursor: NotificationCursor): Promise<boolean> {
    return this.guard(async () => {
      const [result] = await this.pool.query<ResultSetHeader>(
        `UPDATE notification_deliveries SET position = ?, notification_id = ?
         WHERE channel = ? AND owner = ? AND expires_at > NOW(3)`,
        [cursor.position.toString(), cursor.notificationId, channel, owner],
      );
      return result.affectedRows === 1;
    });
  }

  async release(channel: string, owner: string): Promise<void> {
    await this.guard(() =>
      this.pool.query('UPDATE notification_deliveries SET owner = NULL WHERE channel = ? AND owner = ?', [
        channel,
        owner,
      ]),
    );
  }

  async deadLetter(
    channel: string,
    notification: NotificationView,
    attempts: number,
    reason: string,
  ): Promise<void> {
    await this.guard(() =>
      this.pool.query(
        `INSERT INTO notification_dead_letters
           (channel, notification_id, user_id, kind, position, notification, attempts, reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE attempts = VALUES(attempts), reason = VALUES(reason), failed_at = CURRENT_TIMESTAMP(3)`,
        [
          channel,
          notification.notificationId,
          notification.userId,
          notification.kind,
          notification.position,
          JSON.stringify(notification),
          attempts,
          reason.slice(0, 2000),
        ],
      ),
    );
  }

  deadLetters(channel: string, limit: number): Promise<NotificationDeadLetter[]> {
    return this.guard(async () => {
      const [rows] = await this.pool.query<RowDataPacket[]>(
        `SELECT notification_id, user_id, kind, position, attempts, reason FROM notification_dead_letters
         WHERE channel = ? ORDER BY position, notification_id LIMIT ?`,
        [channel, limit],
      );
      return rows.map((r) => ({
        notificationId: String(r.notification_id),
        userId: String(r.user_id),
        kind: String(r.kind),
        position: String(r.position),
        attempts: Number(r.attempts),
        reason: String(r.reason),
      }));
    });
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw classifySqlError(error, 'read catalog');
    }
  }
}
