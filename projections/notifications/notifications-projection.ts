import type { DecodedEvent } from '../../commands/stored-events';
import type { Projection } from '../projection';
import type { SqlExecutor } from '../sql-executor-port';
import {
  buyerOfNotificationEvent,
  notificationOf,
  readMarkOf,
  type Notification,
} from './notification-mapping';
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
 * watermark that only rises) beside the rows; a row is inserted read when a mark covers it already, and a mark makes
 * the rows it covers read. Whatever order marks and notifications arrive in, the rows end the same: a replay
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
    const readsTable = notificationReadsTable(suffix);
    const marksTable = notificationReadMarksTable(suffix);
    /** Per buyer: the ids they marked read in this batch. */
    const reads = new Map<string, Set<string>>();
    /** Per buyer: the highest "read up to" of this batch. */
    const marks = new Map<string, bigint>();
    const notifications = new Map<string, Notification>();
    for (const decoded of events) {
      const mark = readMarkOf(decoded);
      if (mark?.kind === 'one') {
        const mine = reads.get(mark.userId) ?? new Set<string>();
        reads.set(mark.userId, mine.add(mark.notificationId));
      } else if (mark?.kind === 'upTo') {
        const seen = marks.get(mark.userId);
        if (seen === undefined || mark.upTo > seen) marks.set(mark.userId, mark.upTo);
      }
      if (mark) continue;
      const n = notificationOf(decoded);
      if (!n) continue;
      if (Number.isNaN(new Date(n.createdAt).getTime()))
        throw new Error(`the event's time ${JSON.stringify(n.createdAt)} is not a time`);
      notifications.set(n.notificationId, n);
    }
    // Every statement reads and locks by a key of this batch's buyers only: another replica's partitions (or another
    // replay worker's) hold other buyers, whose rows must never be waited for.
    if (reads.size > 0)
      await sql.query(`INSERT IGNORE INTO ${readsTable} (user_id, notification_id) VALUES ?`, [
        [...reads].flatMap(([userId, ids]) => [...ids].map((id) => [userId, id])),
      ]);
    if (marks.size > 0)
      await sql.query(
        `INSERT INTO ${marksTable} (user_id, up_to) VALUES ?
         ON DUPLICATE KEY UPDATE up_to = GREATEST(up_to, VALUES(up_to))`,
        [[...marks].map(([userId, upTo]) => [userId, upTo.toString()])],
      );
    if (notifications.size > 0) {
      // A notification arriving after its buyer's marks is born read; the marks are read after this batch's own.
      const users = [...new Set([...notifications.values()].map((n) => n.userId))];
      const upTo = new Map(
        (
          await sql.query<{ user_id: string; up_to: string }>(
            `SELECT user_id, up_to FROM ${marksTable} FORCE INDEX (PRIMARY) WHERE user_id IN (?)`,
            [users],
          )
        ).map((r) => [r.user_id, BigInt(r.up_to)]),
      );
      const read = new Set(
        (
          await sql.query<{ user_id: string; notification_id: string }>(
            `SELECT user_id, notification_id FROM ${readsTable} FORCE INDEX (PRIMARY)
             WHERE user_id IN (?) AND notification_id IN (?)`,
            [users, [...notifications.keys()]],
          )
        ).map((r) => `${r.user_id}/${r.notification_id}`),
      );
      await sql.query(
        `INSERT IGNORE INTO ${table} (notification_id, user_id, kind, payload, created_at, position, is_read) VALUES ?`,
        [
          [...notifications.values()].map((n) => [
            n.notificationId,
            n.userId,
            n.kind,
            JSON.stringify(n.payload),
            new Date(n.createdAt),
            n.position.toString(),
            read.has(`${n.userId}/${n.notificationId}`) || n.position <= (upTo.get(n.userId) ?? 0n) ? 1 : 0,
          ]),
        ],
      );
    }
    // Notifications already there that this batch's marks cover become read; nothing ever becomes unread.
    for (const [userId, ids] of reads)
      await sql.query(
        `UPDATE ${table} FORCE INDEX (PRIMARY) SET is_read = 1
         WHERE notification_id IN (?) AND user_id = ? AND is_read = 0`,
        [[...ids], userId],
      );
    for (const [userId, position] of marks)
      await sql.query(
        `UPDATE ${table} FORCE INDEX (by_user) SET is_read = 1
         WHERE user_id = ? AND position <= ? AND is_read = 0`,
        [userId, position.toString()],
      );
  },
};
