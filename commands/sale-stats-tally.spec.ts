import { SaleStatsTally } from './sale-stats-tally';

const asObject = (counts: Map<string, number>): Record<string, number> => Object.fromEntries(counts);
const batchOf = (tally: SaleStatsTally) => {
  const batch = tally.nextBatch();
  if (batch === null) throw new Error('expected a batch');
  return {
    seq: batch.seq,
    coupons: Object.fromEntries([...batch.coupons].map(([id, counts]) => [id, Object.fromEntries(counts)])),
  };
};

describe('SaleStatsTally', () => {
  it('counts outcomes per coupon and code', () => {
    const tally = new SaleStatsTally();
    tally.record('a', 'PLACED');
    tally.record('a', 'PLACED');
    tally.record('a', 'SOLD_OUT');
    tally.record('b', 'RATE_LIMITED');
    expect(asObject(tally.unflushed('a', 0))).toEqual({ PLACED: 2, SOLD_OUT: 1 });
    expect(asObject(tally.unflushed('b', 0))).toEqual({ RATE_LIMITED: 1 });
    expect(asObject(tally.unflushed('c', 0))).toEqual({});
  });

  it('owes nothing when nothing was counted', () => {
    expect(new SaleStatsTally().nextBatch()).toBeNull();
  });

  it('takes the counts as a numbered batch and, once acknowledged, owes them no more (no double count)', () => {
    const tally = new SaleStatsTally();
    tally.record('a', 'PLACED');
    tally.record('b', 'SOLD_OUT');
    expect(batchOf(tally)).toEqual({ seq: 1, coupons: { a: { PLACED: 1 }, b: { SOLD_OUT: 1 } } });
    tally.acknowledge(1, 'a');
    tally.acknowledge(1, 'b');
    expect(tally.nextBatch()).toBeNull();
    expect(tally.owed).toBe(0);
    // Stored now: a reading adds nothing of its own, whatever the store says it applied.
    expect(asObject(tally.unflushed('a', 0))).toEqual({});
    expect(asObject(tally.unflushed('a', 1))).toEqual({});
  });

  it('keeps a failed batch and sends it again under the same number, newer counts after it', () => {
    const tally = new SaleStatsTally();
    tally.record('a', 'PLACED');
    expect(batchOf(tally).seq).toBe(1);
    // The flush failed: nothing acknowledged. Counted meanwhile:
    tally.record('a', 'PLACED');
    tally.record('a', 'LIMIT_REACHED');
    expect(batchOf(tally)).toEqual({ seq: 1, coupons: { a: { PLACED: 1 } } });
    // Not stored anywhere yet: a reading adds both the pending batch and the newer counts.
    expect(asObject(tally.unflushed('a', 0))).toEqual({ PLACED: 2, LIMIT_REACHED: 1 });
    tally.acknowledge(1, 'a');
    expect(batchOf(tally)).toEqual({ seq: 2, coupons: { a: { PLACED: 1, LIMIT_REACHED: 1 } } });
    tally.acknowledge(2, 'a');
    expect(tally.nextBatch()).toBeNull();
  });

  it('resends only the coupons of a batch the store did not take', () => {
    const tally = new SaleStatsTally();
    tally.record('a', 'PLACED');
    tally.record('b', 'PLACED');
    batchOf(tally);
    tally.acknowledge(1, 'a');
    expect(batchOf(tally)).toEqual({ seq: 1, coupons: { b: { PLACED: 1 } } });
    expect(tally.owed).toBe(1);
  });

  it('leaves a pending batch out of a reading once the store says it applied that batch (answer lost)', () => {
    const tally = new SaleStatsTally();
    tally.record('a', 'PLACED');
    batchOf(tally);
    tally.record('a', 'SOLD_OUT');
    expect(asObject(tally.unflushed('a', 1))).toEqual({ SOLD_OUT: 1 });
    expect(asObject(tally.unflushed('a', 0))).toEqual({ PLACED: 1, SOLD_OUT: 1 });
  });

  it('ignores an acknowledgement of another batch', () => {
    const tally = new SaleStatsTally();
    tally.record('a', 'PLACED');
    batchOf(tally);
    tally.acknowledge(7, 'a');
    expect(batchOf(tally)).toEqual({ seq: 1, coupons: { a: { PLACED: 1 } } });
  });
});
