import type { GroupView, PartitionLeases } from '../../../projections/partition-leases-port';

interface Lease {
  owner: string | null;
  epoch: number;
  expiresAt: number;
}

/**
 * PartitionLeases in memory, on the process clock (which jest's fake timers move), for the unit specs of
 * PartitionOwnership; the MySQL adapter passes the same contract suite (test/partition-leases-contract.int.ts).
 */
export class InMemoryPartitionLeases implements PartitionLeases {
  /** Every call fails while set (a database outage). */
  down = false;
  private readonly members = new Map<string, number>();
  private readonly leases = new Map<string, Lease>();

  heartbeat(projection: string, partitions: number, member: string, ttlMs: number): Promise<GroupView> {
    return this.run(() => {
      this.members.set(`${projection}/${member}`, Date.now() + ttlMs);
      for (let p = 0; p < partitions; p++) {
        const lease = this.lease(projection, p);
        if (lease.owner === member) lease.expiresAt = Date.now() + ttlMs;
      }
      const members = [...this.members]
        .filter(([key, expiresAt]) => key.startsWith(`${projection}/`) && expiresAt > Date.now())
        .map(([key]) => key.slice(projection.length + 1))
        .sort();
      const leases = Array.from({ length: partitions }, (_, partition) => {
        const lease = this.lease(projection, partition);
        return { partition, owner: lease.owner, epoch: lease.epoch, live: lease.expiresAt > Date.now() };
      });
      return { members, leases };
    });
  }

  claim(projection: string, partition: number, member: string, ttlMs: number): Promise<number | null> {
    return this.run(() => {
      const lease = this.lease(projection, partition);
      if (lease.owner !== null && lease.expiresAt > Date.now()) return null;
      lease.owner = member;
      lease.epoch += 1;
      lease.expiresAt = Date.now() + ttlMs;
      return lease.epoch;
    });
  }

  release(projection: string, member: string, partitions: readonly number[]): Promise<void> {
    return this.run(() => {
      for (const partition of partitions) {
        const lease = this.lease(projection, partition);
        if (lease.owner === member) lease.owner = null;
      }
    });
  }

  leave(projection: string, member: string): Promise<void> {
    return this.run(() => {
      for (const [key, lease] of this.leases)
        if (key.startsWith(`${projection}/`) && lease.owner === member) lease.owner = null;
      this.members.delete(`${projection}/${member}`);
    });
  }

  /** The lease as stored (for assertions). */
  lease(projection: string, partition: number): Lease {
    const key = `${projection}/${String(partition)}`;
    let lease = this.leases.get(key);
    if (!lease) {
      lease = { owner: null, epoch: 0, expiresAt: 0 };
      this.leases.set(key, lease);
    }
    return lease;
  }

  private run<T>(work: () => T): Promise<T> {
    if (this.down) return Promise.reject(new Error('lease store down'));
    return Promise.resolve(work());
  }
}
