import type { ProjectionName } from './projection';

/**
 * A group of members sharing leases: a projection's replicas, the order-expiry processes (one partition: the lease
 * holder is the one that sweeps; see projections/order-expiry.ts), or the reservation firers (a partition per coupon
 * being fired).
 */
export type LeaseGroup = ProjectionName | 'order-expiry' | 'reservation-firer';

/** One partition's lease as the lease store holds it. */
export interface PartitionLease {
  readonly partition: number;
  /** The member holding it; null when released (or never taken). */
  readonly owner: string | null;
  /** Raised by every claim: the fencing token its owner writes with (ReadShards.advanceCheckpoints). */
  readonly epoch: number;
  /** Whether the lease is still in force, by the store's clock (an owner that stopped renewing loses it). */
  readonly live: boolean;
}

/** The members of a projection's group and its partitions' leases, as one heartbeat saw them. */
export interface GroupView {
  /** Members whose heartbeat has not lapsed, sorted: every member computes the same shares from it. */
  readonly members: readonly string[];
  /** One entry per partition 0 … partitions−1. */
  readonly leases: readonly PartitionLease[];
}

/**
 * Partition leases of a projection's replicas, kept where every replica can reach them (the read catalog
 * database). Time is the store's own, so replicas' clocks need not agree. `ttlMs` is how long a heartbeat keeps a
 * member and its leases alive.
 */
export interface PartitionLeases {
  /** Keeps `member` and every lease it holds alive for `ttlMs` more; returns the group as it is now. */
  heartbeat(projection: LeaseGroup, partitions: number, member: string, ttlMs: number): Promise<GroupView>;
  /**
   * Takes a partition that nobody holds (released, or its lease lapsed) for `ttlMs`: the new epoch, or null when a
   * live lease of another member holds it.
   */
  claim(projection: LeaseGroup, partition: number, member: string, ttlMs: number): Promise<number | null>;
  /** Gives up these partitions (only those `member` holds), at once: another member may claim them. */
  release(projection: LeaseGroup, member: string, partitions: readonly number[]): Promise<void>;
  /** Releases everything `member` holds and removes it from the group (a clean shutdown). */
  leave(projection: LeaseGroup, member: string): Promise<void>;
}
