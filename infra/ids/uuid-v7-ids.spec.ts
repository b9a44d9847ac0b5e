import { shardOfKey as shardOfUser, shardOfOrder } from '../../domain/shared/shard-key';
import { UuidV7Ids } from './uuid-v7-ids';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('UUIDv7 ids', () => {
  const ids = new UuidV7Ids();

  it('makes valid, unique, time-ordered UUIDv7s', () => {
    const made = Array.from({ length: 2000 }, () => ids.newId());
    for (const id of made) expect(id).toMatch(UUID_V7);
    expect(new Set(made).size).toBe(made.length);
    const first = ids.newId();
    const later = (() => {
      const until = Date.now() + 2;
      while (Date.now() < until);
      return ids.newId();
    })();
    expect(later > first).toBe(true);
  });

  it('puts the buyer’s shard in the order id, for any number of shards', () => {
    for (let i = 0; i < 500; i++) {
      const userId = `user-${i}`;
      const orderId = ids.orderId(userId);
      expect(orderId).toMatch(UUID_V7);
      for (const shards of [1, 2, 3, 7, 16])
        expect(shardOfOrder(orderId, shards)).toBe(shardOfUser(userId, shards));
    }
  });

  it('spreads users evenly over shards', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[shardOfUser(`u${i}`, 3)]! += 1;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(600);
  });
});
