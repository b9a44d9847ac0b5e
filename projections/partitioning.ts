import type { RecordedEvent } from '../commands/event-store-port';
import { decodeRecorded } from '../commands/stored-events';
import { keyHash16 } from '../domain/shared/shard-key';
import type { Projection } from './projection';

/**
 * How a projection's events are spread over partitions, the unit of work one projector replica owns: by the same key
 * that spreads the read model's rows over shards (buyer for orders and stats, coupon for coupons), hashed the same
 * way, so replicas owning different partitions never write the same rows. Every event of one key lands in one
 * partition: a hot key (one coupon of a drop) is one replica's work, applied in batches. The partition count is a
 * deployment constant (COUPONKILL_PROJECTION_PARTITIONS) that relay, projectors and replays share; changing it is a
 * replay (README, "Scaling projections").
 */
export const partitionOfKey = (key: string, partitions: number): number => keyHash16(key) % partitions;

/** Partitions 0 … count−1. */
export const allPartitions = (count: number): number[] => Array.from({ length: count }, (_, p) => p);

/** Where one stored event goes in each projection's stream: [projection index, partition] pairs. */
export type EventRoutes = readonly (readonly [projection: number, partition: number])[];

/**
 * The partition of each projection's stream an event belongs to; a projection that ignores it gets none. An event
 * that does not decode goes to every projection, in the partition of its stream id, so that exactly one replica of
 * each sets it aside as a dead letter.
 */
export const routesOf = (
  projections: readonly Projection[],
  event: RecordedEvent,
  partitions: number,
): EventRoutes => {
  let decoded;
  try {
    decoded = decodeRecorded(event);
  } catch {
    const partition = partitionOfKey(event.streamId, partitions);
    return projections.map((_, index) => [index, partition] as const);
  }
  return projections.flatMap((projection, index) => {
    const key = projection.keyOf(decoded);
    return key === null ? [] : [[index, partitionOfKey(key, partitions)] as const];
  });
};
