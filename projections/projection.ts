import type { DecodedEvent } from '../commands/stored-events';
import { shardOfKey } from '../domain/shared/shard-key';
import type { SqlExecutor } from './sql-executor-port';

export const PROJECTION_NAMES = ['orders', 'coupons', 'stats', 'reservations', 'notifications'] as const;
export type ProjectionName = (typeof PROJECTION_NAMES)[number];

/**
 * A read model: its tables (named with a generation suffix, so a rebuild can fill new tables while the old ones
 * serve), which shard an event belongs to, and how to apply a batch of events. `apply` must be idempotent and
 * order-insensitive: redelivery, duplicates and reordering are normal.
 */
export interface Projection {
  readonly name: ProjectionName;
  tables(suffix: string): string[];
  ddl(suffix: string): string[];
  /**
   * The key of the rows an event changes (a buyer, a coupon), or null when this read model ignores the event. It
   * decides the event's shard and its partition (projections/partitioning.ts).
   */
  keyOf(event: DecodedEvent): string | null;
  /** Applies a shard's share of a batch, in a transaction the caller holds. */
  apply(sql: SqlExecutor, events: readonly DecodedEvent[], suffix: string): Promise<void>;
}

/** The shard of the read model an event changes, or null when the read model ignores it. */
export const shardOfEvent = (projection: Projection, event: DecodedEvent, shards: number): number | null => {
  const key = projection.keyOf(event);
  return key === null ? null : shardOfKey(key, shards);
};
