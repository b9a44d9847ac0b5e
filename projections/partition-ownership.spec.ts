import { InMemoryPartitionLeases } from '../test/support/in-memory/in-memory-partition-leases';
import { RecordingLogger } from '../test/support/in-memory/recording-logger';
import type { PartitionLeases } from './partition-leases-port';
import { PartitionOwnership } from './partition-ownership';

const LEASE_MS = 600;
const HEARTBEAT_MS = 100;

const member = (name: string, leases: PartitionLeases, fenced: [number, number][] = []) =>
  new PartitionOwnership(
    'orders',
    leases,
    (partition, epoch) => {
      fenced.push([partition, epoch]);
      return Promise.resolve();
    },
    new RecordingLogger(),
    { member: name, partitions: 4, leaseMs: LEASE_MS, heartbeatMs: HEARTBEAT_MS },
  );

/** One process's way to the shared store; `kill` makes it go silent, as a SIGKILLed process does. */
const connection = (store: InMemoryPartitionLeases): { leases: PartitionLeases; kill: () => void } => {
  let dead = false;
  const call = <T>(work: () => Promise<T>): Promise<T> => (dead ? new Promise<T>(() => undefined) : work());
  return {
    leases: {
      heartbeat: (...args) => call(() => store.heartbeat(...args)),
      claim: (...args) => call(() => store.claim(...args)),
      release: (...args) => call(() => store.release(...args)),
      leave: (...args) => call(() => store.leave(...args)),
    },
    kill: () => (dead = true),
  };
};

const owned = (o: PartitionOwnership) => [...o.owned.keys()].sort((a, b) => a - b);

describe('partition ownership', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('takes every partition alone, fencing each with its new epoch before it is consumed', async () => {
    const leases = new InMemoryPartitionLeases();
    const fenced: [number, number][] = [];
    const a = member('a', leases, fenced);
    await a.start();
    expect(owned(a)).toEqual([0, 1, 2, 3]);
    expect(fenced).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    await a.stop();
    expect(leases.lease('orders', 0).owner).toBeNull();
  });

  it('hands partitions to a joining member only after the holder handed them back', async () => {
    const leases = new InMemoryPartitionLeases();
    const a = member('a', leases);
    const b = member('b', leases);
    await a.start();
    await b.start();
    expect(owned(b)).toEqual([]);
    await jest.advanceTimersByTimeAsync(HEARTBEAT_MS);
    // a withdrew two partitions from its consumer, but still holds their leases: b cannot take them yet.
    expect(owned(a)).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(HEARTBEAT_MS * 3);
    expect(owned(b)).toEqual([]);
    const given = [0, 1, 2, 3].filter((p) => !a.owned.has(p));
    expect([...a.withdrawnPartitions].sort()).toEqual(given);
    await a.handBack(given);
    expect(a.withdrawnPartitions).toEqual([]);
    await jest.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(owned(b)).toEqual(given);
    expect(leases.lease('orders', given[0] ?? 0).epoch).toBe(2);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('takes over the partitions of a member that stopped heartbeating once its lease lapsed', async () => {
    const leases = new InMemoryPartitionLeases();
    const a = member('a', leases);
    const doomed = connection(leases);
    const b = member('b', doomed.leases);
    await a.start();
    await b.start();
    await jest.advanceTimersByTimeAsync(HEARTBEAT_MS);
    await a.handBack([0, 1, 2, 3].filter((p) => !a.owned.has(p)));
    await jest.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(owned(b)).toHaveLength(2);
    const taken = owned(b);
    doomed.kill();
    const killedAt = Date.now();
    while (owned(a).length < 4 && Date.now() - killedAt < LEASE_MS * 3)
      await jest.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(owned(a)).toEqual([0, 1, 2, 3]);
    // Within the lease (since b's last heartbeat) and one more heartbeat of a's.
    expect(Date.now() - killedAt).toBeLessThanOrEqual(LEASE_MS + 2 * HEARTBEAT_MS);
    for (const p of taken) expect(leases.lease('orders', p)).toMatchObject({ owner: 'a', epoch: 3 });
    await a.stop();
  });

  it('consumes nothing once heartbeats have failed for longer than the lease, and takes its partitions back after', async () => {
    const leases = new InMemoryPartitionLeases();
    const a = member('a', leases);
    await a.start();
    leases.down = true;
    await jest.advanceTimersByTimeAsync(LEASE_MS + HEARTBEAT_MS * 2);
    expect(owned(a)).toEqual([]);
    leases.down = false;
    await jest.advanceTimersByTimeAsync(HEARTBEAT_MS * 2);
    expect(owned(a)).toEqual([0, 1, 2, 3]);
    await a.stop();
  });

  it('drops a partition a fenced write proved lost, and never claims what another member holds', async () => {
    const leases = new InMemoryPartitionLeases();
    const a = member('a', leases);
    await a.start();
    const changes = a.changes;
    leases.lease('orders', 2).owner = 'z';
    leases.lease('orders', 2).epoch += 1;
    a.lost([2]);
    expect(a.changes).toBeGreaterThan(changes);
    expect(owned(a)).toEqual([0, 1, 3]);
    await a.stop();
  });
});
