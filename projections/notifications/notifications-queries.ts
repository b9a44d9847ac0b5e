import { keyHash16 } from '../../domain/shared/shard-key';
import { isoOf, type LiveReadModels, type Row } from '../live-read-models';
import { tableSuffix, type Generation, type ReadShards } from '../read-model-ports';
import type { NotificationKind, NotificationPayload } from './notification-mapping';
import { NOTIFICATION_COLUMNS, notificationsTable } from './notifications-tables';

export interface NotificationView {
  readonly notificationId: string;
  readonly userId: string;
  readonly kind: NotificationKind;
  readonly payload: NotificationPayload;
  readonly createdAt: string;
  /** The source event's global position (a decimal string). */
  readonly position: string;
  /** Where it stands in the buyer's notifications: `<position>-<notificationId>` (pages, `Last-Event-ID`). */
  readonly cursor: string;
  readonly read: boolean;
}

/** A place in the order of notifications: by position, then by id (events of one append may share a position). */
export interface NotificationCursor {
  readonly position: bigint;
  readonly notificationId: string;
}

export const CURSOR_PATTERN = /^(\d{1,20})-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export const cursorText = (cursor: NotificationCursor): string =>
  `${cursor.position.toString()}-${cursor.notificationId}`;

/** The cursor a text names, or null when it is not one. */
export const parseCursor = (text: string): NotificationCursor | null => {
  const match = CURSOR_PATTERN.exec(text);
  return match?.[1] && match[2] ? { position: BigInt(match[1]), notificationId: match[2] } : null;
};

/** a < b in the order of notifications. */
export const cursorBefore = (a: NotificationCursor, b: NotificationCursor): boolean =>
  a.position < b.position || (a.position === b.position && a.notificationId < b.notificationId);

export const cursorOf = (view: NotificationView): NotificationCursor => ({
  position: BigInt(view.position),
  notificationId: view.notificationId,
});

const toView = (r: Row): NotificationView => {
  const position = String(r.position);
  const notificationId = String(r.notification_id);
  return {
    notificationId,
    userId: String(r.user_id),
    kind: String(r.kind) as NotificationKind,
    payload: JSON.parse(String(r.payload)) as NotificationPayload,
    createdAt: isoOf(r.created_at),
    position,
    cursor: `${position}-${notificationId}`,
    read: Number(r.is_read) === 1,
  };
};

/** SQL for "after this cursor", on the columns (position, notification_id). */
const AFTER = '(position > ? OR (position = ? AND notification_id > ?))';
const BEFORE = '(position < ? OR (position = ? AND notification_id < ?))';
const bounds = (c: NotificationCursor): string[] => [
  c.position.toString(),
  c.position.toString(),
  c.notificationId,
];

/** Queries of the notifications read model (sharded by buyer). */
export class NotificationsQueries {
  constructor(private readonly models: LiveReadModels) {}

  private async userShard(
    userId: string,
    minPosition: bigint | null,
  ): Promise<{ generation: Generation; shard: number; table: string }> {
    const generation = await this.models.generation('notifications');
    const key = keyHash16(userId);
    await this.models.waitForKey(generation, key, minPosition);
    return {
      generation,
      shard: key % generation.shards,
      table: notificationsTable(tableSuffix(generation.generation)),
    };
  }

  /** Newest first; `cursor` is the last cursor of the previous page; `unread` keeps the unread ones only. */
  async list(
    userId: string,
    filter: { cursor: NotificationCursor | null; limit: number; unread: boolean },
    minPosition: bigint | null,
  ): Promise<{ items: NotificationView[]; nextCursor: string | null }> {
    const { shard, table } = await this.userShard(userId, minPosition);
    const conditions = ['user_id = ?'];
    const values: unknown[] = [userId];
    if (filter.unread) conditions.push('is_read = 0');
    if (filter.cursor) {
      conditions.push(BEFORE);
      values.push(...bounds(filter.cursor));
    }
    const rows = await this.models.shards.query<Row>(
      shard,
      `SELECT ${NOTIFICATION_COLUMNS} FROM ${table} WHERE ${conditions.join(' AND ')}
       ORDER BY position DESC, notification_id DESC LIMIT ?`,
      [...values, filter.limit + 1],
    );
    const items = rows.slice(0, filter.limit).map(toView);
    return { items, nextCursor: rows.length > filter.limit ? (items.at(-1)?.cursor ?? null) : null };
  }

  async unreadCount(userId: string, minPosition: bigint | null): Promise<number> {
    const { shard, table } = await this.userShard(userId, minPosition);
    const rows = await this.models.shards.query<Row>(
      shard,
      `SELECT COUNT(*) AS unread FROM ${table} WHERE user_id = ? AND is_read = 0`,
      [userId],
    );
    return Number(rows[0]?.unread ?? 0);
  }
}

/**
 * Reads of one generation for the live stream and the webhook dispatcher, oldest first: what they missed, and what
 * is new.
 */
export class NotificationLog {
  constructor(private readonly shards: ReadShards) {}

  /** A buyer's notifications after `after` up to position `upTo` (inclusive), oldest first. */
  async ofUser(
    generation: Generation,
    userId: string,
    after: NotificationCursor,
    upTo: bigint,
    limit: number,
  ): Promise<NotificationView[]> {
    const rows = await this.shards.query<Row>(
      keyHash16(userId) % generation.shards,
      `SELECT ${NOTIFICATION_COLUMNS} FROM ${notificationsTable(tableSuffix(generation.generation))}
       WHERE user_id = ? AND ${AFTER} AND position <= ?
       ORDER BY position, notification_id LIMIT ?`,
      [userId, ...bounds(after), upTo.toString(), limit],
    );
    return rows.map(toView);
  }

  /** Every notification of one shard after `after` up to position `upTo` (inclusive), oldest first. */
  async ofShard(
    generation: Generation,
    shard: number,
    after: NotificationCursor,
    upTo: bigint,
    limit: number,
  ): Promise<NotificationView[]> {
    const rows = await this.shards.query<Row>(
      shard,
      `SELECT ${NOTIFICATION_COLUMNS} FROM ${notificationsTable(tableSuffix(generation.generation))}
       WHERE ${AFTER} AND position <= ?
       ORDER BY position, notification_id LIMIT ?`,
      [...bounds(after), upTo.toString(), limit],
    );
    return rows.map(toView);
  }

  /** Every shard's notifications after `after` up to `upTo`, merged in order: the first `limit` of them. */
  async ofAll(
    generation: Generation,
    after: NotificationCursor,
    upTo: bigint,
    limit: number,
  ): Promise<NotificationView[]> {
    const perShard = await Promise.all(
      Array.from({ length: generation.shards }, (_, shard) =>
        this.ofShard(generation, shard, after, upTo, limit),
      ),
    );
    return perShard
      .flat()
      .sort((a, b) => (cursorBefore(cursorOf(a), cursorOf(b)) ? -1 : 1))
      .slice(0, limit);
  }
}
