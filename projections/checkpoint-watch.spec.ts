import { CheckpointWaitRefused, CheckpointWatch } from './checkpoint-watch';
import type { Generation, ReadShards } from './read-model-ports';

const generation: Generation = {
  projection: 'orders',
  generation: 1,
  shards: 2,
  partitions: 2,
  state: 'live',
};

/** Checkpoints the test moves by hand (`positions[shard]` is every partition's, unless `byPartition` says); counts reads. */
const shardsAt = (positions: bigint[], byPartition: Record<string, bigint> = {}) => {
  const reads = { count: 0 };
  const shards = {
    checkpoints: (_g: Generation, shard: number) => {
      reads.count += 1;
      return Promise.resolve(
        new Map([0, 1].map((p) => [p, byPartition[`${shard}/${p}`] ?? positions[shard] ?? 0n])),
      );
    },
  } as unknown as ReadShards;
  return { shards, reads, positions, byPartition };
};

/** A read of one shard, depending on both partitions there. */
const shard = (index: number) => ({ shard: index, partitions: [0, 1] });

describe('read-your-writes waiting, shared per shard', () => {
  it('answers at once, with one read shared by simultaneous callers, when the position is applied', async () => {
    const { shards, reads } = shardsAt([10n, 10n]);
    const watch = new CheckpointWatch(shards, { pollMs: 5, maxWaiters: 10 });
    await Promise.all(
      Array.from({ length: 100 }, () => watch.waitFor(generation, [shard(0)], 10n, Date.now() + 1000)),
    );
    expect(reads.count).toBe(1);
  });

  it('polls a shard once per tick for any number of waiters, and releases each as soon as it is passed', async () => {
    const state = shardsAt([0n, 0n]);
    const watch = new CheckpointWatch(state.shards, { pollMs: 10, maxWaiters: 1000 });
    const waits = Array.from({ length: 500 }, (_, i) =>
      watch.waitFor(generation, [shard(0)], BigInt(1 + (i % 2)), Date.now() + 5000),
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(watch.waiters).toBe(500);
    // About one read per 10 ms tick over 100 ms, shared by all 500 waiters (a poll per waiter would be ~5,000).
    expect(state.reads.count).toBeLessThan(40);
    state.positions[0] = 1n;
    await new Promise((r) => setTimeout(r, 50));
    expect(watch.waiters).toBe(250);
    state.positions[0] = 2n;
    await Promise.all(waits);
    expect(watch.waiters).toBe(0);
  });

  it('waits for every shard a read depends on', async () => {
    const state = shardsAt([5n, 0n]);
    const watch = new CheckpointWatch(state.shards, { pollMs: 5, maxWaiters: 10 });
    let done = false;
    const wait = watch
      .waitFor(generation, [shard(0), shard(1)], 5n, Date.now() + 5000)
      .then(() => (done = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(done).toBe(false);
    state.positions[1] = 7n;
    await wait;
  });

  it('waits for exactly the partitions a read depends on, not the rest of its shard', async () => {
    const state = shardsAt([0n, 0n], { '0/1': 9n });
    const watch = new CheckpointWatch(state.shards, { pollMs: 5, maxWaiters: 10 });
    await watch.waitFor(generation, [{ shard: 0, partitions: [1] }], 9n, Date.now() + 1000);
    let done = false;
    const wait = watch
      .waitFor(generation, [{ shard: 0, partitions: [0, 1] }], 9n, Date.now() + 5000)
      .then(() => (done = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(done).toBe(false);
    state.byPartition['0/0'] = 9n;
    await wait;
  });

  it('refuses a wait at once past the cap on waiters, and at the deadline otherwise', async () => {
    const { shards } = shardsAt([0n, 0n]);
    const watch = new CheckpointWatch(shards, { pollMs: 5, maxWaiters: 3 });
    const started = Date.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, () => watch.waitFor(generation, [shard(0)], 1n, started + 200)),
    );
    const reasons = outcomes.map((o) =>
      o.status === 'rejected' ? (o.reason as CheckpointWaitRefused).reason : 'ok',
    );
    expect(reasons.sort()).toEqual([
      'deadline',
      'deadline',
      'deadline',
      'too_many_waiters',
      'too_many_waiters',
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('passes a shard’s read error to its waiters', async () => {
    const failing = {
      checkpoints: () => Promise.reject(new Error('shard down')),
    } as unknown as ReadShards;
    const watch = new CheckpointWatch(failing, { pollMs: 5, maxWaiters: 3 });
    await expect(watch.waitFor(generation, [shard(0)], 1n, Date.now() + 1000)).rejects.toThrow('shard down');
  });
});
