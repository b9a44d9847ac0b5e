import type { DecodedEvent } from '../../commands/stored-events';
import type { Projection } from '../projection';
import type { SqlExecutor } from '../sql-executor-port';
import { buyerOfNotificationEvent, notificationOf, readMarkOf } from './notification-mapping';
import {
  notificationReadMarksTable,
  notificationReadsTable,
  notificationsTable,
} from './notifications-tables';

const USER = 'VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL';
const ID = 'CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL';

/**
 * Notifications, sharded and partitioned by buyer: one row per notification, its id the id of the event it comes
 * from, so redelivered, duplicated and reordered events insert nothing twice. Read state is the buyer's own events
 * (NotificationRead, NotificationsReadUpTo on `notifications-<userId>`), kept as monotone facts (a set of read ids, a
 * watermark that only rises) beside the rows; each row's `is_read` is derived from them after every batch, for the
 * buyers the batch touched. Whatever order marks and notifications arrive in, the rows end the same: a replay
 * reproduces exactly what the buyer had read.
 */
export const notificationsProjection: Projection = {
  name: 'notifications',
  tables: (suffix) => [
    notificationsTable(suffix),
    notificationReadsTable(suffix),
    notificationReadMarksTable(suffix),
  ],
  ddl: (suffix) => [
    `CREATE TABLE IF NOT EXISTS ${notificationsTable(suffix)} (
      notification_id ${ID} PRIMARY KEY,
      user_id ${USER},
      kind VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      payload MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
      created_at DATETIME(3) NOT NULL,
      position BIGINT UNSIGNED NOT NULL,
      is_read TINYINT(1) NOT NULL DEFAULT 0,
      KEY by_user (user_id, position, notification_id),
      KEY unread_by_user (user_id, is_read, position, notification_id),
      KEY by_position (position, notification_id)
    ) ENGINE=InnoDB`,
    `CREATE TABLE IF NOT EXISTS ${notificationReadsTable(suffix)} (
      user_id ${USER},
      notification_id ${ID},
      PRIMARY KEY (user_id, notification_id)
    ) ENGINE=InnoDB`,
    `CREATE TABLE IF NOT EXISTS ${notificationReadMarksTable(suffix)} (
      user_id ${USER} PRIMARY KEY,
      up_to BIGINT UNSIGNED NOT NULL
    ) ENGINE=InnoDB`,
  ],
  keyOf: buyerOfNotificationEvent,
  apply: async (sql: SqlExecutor, events: readonly DecodedEvent[], suffix: string) => {
    const table = notificationsTable(suffix);
    const reads: [string, string][] = [];
    const marks = new Map<string, bigint>();
    const rows: unknown[][] = [];
    const users = new Set<string>();
    for (const decoded of events) {
      const mark = readMarkOf(decoded);
      if (mark?.kind === 'one') reads.push([mark.userId, mark.notificationId]);
      else if (mark?.kind === 'upTo') {
        const seen = marks.get(mark.userId);
        if (seen === undefined || mark.upTo > seen) marks.set(mark.userId, mark.upTo);
      }
      if (mark) {
        users.add(mark.userId);
        continue;
      }
      const n = notificationOf(decoded);
      if (!n) continue;
      const createdAt = new Date(n.createdAt);
      if (Number.isNaN(createdAt.getTime()))
        throw new Error(`the event's time ${JSON.stringify(n.createdAt)} is not a time`);
      users.add(n.userId);
      rows.push([
        n.notificationId,
        n.userId,
        n.kind,
        JSON.stringify(n.payload),
        createdAt,
        n.position.toString(),
      ]);
    }
    if (users.size === 0) return;
    if (reads.length > 0)
      await sql.query(
        `INSERT IGNORE INTO ${notificationReadsTable(suffix)} (user_id, notification_id) VALUES ?`,
        [reads],
      );
    if (marks.size > 0)
      await sql.query(
        `INSERT INTO ${notificationReadMarksTable(suffix)} (user_id, up_to) VALUES ?
         ON DUPLICATE KEY UPDATE up_to = GREATEST(up_to, VALUES(up_to))`,
        [[...marks].map(([userId, upTo]) => [userId, upTo.toString()])],
      );
    if (rows.length > 0)
      await sql.query(
        `INSERT IGNORE INTO ${table} (notification_id, user_id, kind, payload, created_at, position) VALUES ?`,
        [rows],
      );
    // Every unread notification of the batch's buyers that a mark covers becomes read; nothing ever becomes unread.
    await sql.query(
      `UPDATE ${table} n
         LEFT JOIN ${notificationReadMarksTable(suffix)} m ON m.user_id = n.user_id
         LEFT JOIN ${notificationReadsTable(suffix)} r
           ON r.user_id = n.user_id AND r.notification_id = n.notification_id
       SET n.is_read = 1
       WHERE n.user_id IN (?) AND n.is_read = 0 AND (n.position <= m.up_to OR r.notification_id IS NOT NULL)`,
      [[...users]],
    );
  },
};
