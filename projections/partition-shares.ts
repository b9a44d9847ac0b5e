import type { GroupView } from './partition-leases-port';

/** What a member should do after a heartbeat to move towards its fair share. */
export interface ShareChange {
  /** Partitions to take: free ones, the member's own preferred ones first. */
  readonly claim: readonly number[];
  /** Partitions it holds beyond its share, to hand back once it stopped consuming them. */
  readonly release: readonly number[];
}

/**
 * The fair-share rebalancing every member runs on the same view: with n live members, member i (in sorted order)
 * holds ⌊P/n⌋ partitions, one more when i < P mod n. A member over its share releases the partitions furthest from
 * its preferred ones (p ≡ i mod n); a member under it claims free partitions, preferred ones first, so members that
 * start together rarely race for the same partition. Partitions move only when a member joins or leaves, and a
 * claim that loses a race simply fails (PartitionLeases.claim) and is retried on the next heartbeat.
 */
export const shareChange = (view: GroupView, member: string, partitions: number): ShareChange => {
  const members = view.members.includes(member) ? view.members : [...view.members, member].sort();
  const count = members.length;
  const index = members.indexOf(member);
  const share = Math.floor(partitions / count) + (index < partitions % count ? 1 : 0);
  const preferred = (p: number): number => (p % count === index ? 0 : 1);
  const byPreference = (a: number, b: number): number => preferred(a) - preferred(b) || a - b;
  const held = view.leases.filter((l) => l.owner === member).map((l) => l.partition);
  if (held.length > share)
    return {
      claim: [],
      release: [...held]
        .sort(byPreference)
        .slice(share)
        .sort((a, b) => a - b),
    };
  const free = view.leases
    .filter((l) => l.partition < partitions && l.owner !== member && (l.owner === null || !l.live))
    .map((l) => l.partition)
    .sort(byPreference);
  return { claim: free.slice(0, share - held.length), release: [] };
};
