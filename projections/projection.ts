import type { DecodedEvent } from '../commands/stored-events';
import type { SqlExecutor } from './sql-executor-port';

export const PROJECTION_NAMES = ['orders', 'coupons', 'stats'] as const;
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
  /** The shard an event changes, or null when this read model ignores it. */
  shardOf(event: DecodedEvent, shards: number): number | null;
  /** Applies a shard's share of a batch, in a transaction the caller holds. */
  apply(sql: SqlExecutor, events: readonly DecodedEvent[], suffix: string): Promise<void>;
}
