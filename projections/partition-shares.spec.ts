import type { GroupView, PartitionLease } from './partition-leases-port';
import { shareChange } from './partition-shares';

const P = 16;
const leases = (owners: Record<number, string>, lapsed: readonly number[] = []): PartitionLease[] =>
  Array.from({ length: P }, (_, partition) => ({
    partition,
    owner: owners[partition] ?? null,
    epoch: 1,
    live: !lapsed.includes(partition),
  }));
const view = (
  members: string[],
  owners: Record<number, string>,
  lapsed: readonly number[] = [],
): GroupView => ({
  members: [...members].sort(),
  leases: leases(owners, lapsed),
});
const all = (member: string) => Object.fromEntries(Array.from({ length: P }, (_, p) => [p, member]));

/** Runs every member's heartbeat in turn (claims succeed when free) until nothing moves; the final owners. */
const settle = (members: string[], owners: Record<number, string>): Record<number, string> => {
  const state = { ...owners };
  for (let round = 0; round < 10; round++) {
    let moved = false;
    for (const member of members) {
      const change = shareChange(view(members, state), member, P);
      for (const p of change.release) Reflect.deleteProperty(state, p);
      for (const p of change.claim)
        if (state[p] === undefined) {
          state[p] = member;
          moved = true;
        }
      if (change.release.length > 0) moved = true;
    }
    if (!moved) return state;
  }
  throw new Error('did not settle');
};
const counts = (owners: Record<number, string>) => {
  const n: Record<string, number> = {};
  for (const owner of Object.values(owners)) n[owner] = (n[owner] ?? 0) + 1;
  return n;
};

describe('fair shares of partitions', () => {
  it('gives a lone member every partition', () => {
    expect(shareChange(view(['a'], {}), 'a', P)).toEqual({
      claim: Array.from({ length: P }, (_, p) => p),
      release: [],
    });
  });

  it('makes the first member hand back half when a second joins, and the second take them', () => {
    const change = shareChange(view(['a', 'b'], all('a')), 'a', P);
    expect(change.claim).toEqual([]);
    expect(change.release).toHaveLength(8);
    // It keeps its preferred partitions (p ≡ 0 mod 2) and gives the others up.
    expect(change.release.every((p) => p % 2 === 1)).toBe(true);
    expect(counts(settle(['a', 'b'], all('a')))).toEqual({ a: 8, b: 8 });
  });

  it('splits 16 partitions 6/5/5 over three members, and moves only the leaver’s when one leaves', () => {
    const three = settle(['a', 'b', 'c'], {});
    expect(Object.values(counts(three)).sort()).toEqual([5, 5, 6]);
    const kept = Object.entries(three).filter(([, owner]) => owner !== 'c');
    const two = settle(['a', 'b'], Object.fromEntries(kept.map(([p, owner]) => [Number(p), owner])));
    expect(counts(two)).toEqual({ a: 8, b: 8 });
    for (const [p, owner] of kept) expect(two[Number(p)]).toBe(owner);
  });

  it('treats a lapsed lease as free', () => {
    const change = shareChange(view(['a'], { 3: 'dead' }, [3]), 'a', P);
    expect(change.claim).toContain(3);
  });

  it('leaves live leases of others alone', () => {
    const change = shareChange(view(['a', 'b'], { 0: 'b', 1: 'b' }), 'a', P);
    expect(change.claim).not.toContain(0);
    expect(change.claim).not.toContain(1);
    expect(change.claim).toHaveLength(8);
  });
});
