/** Counts by outcome code. */
export type CodeCounts = Map<string, number>;

/** The deltas one flush sends: every coupon counted since the previous batch, under one sequence number. */
export interface TallyBatch {
  /** Increases by one per batch; a batch keeps its number through retries, so the store can tell a resend. */
  readonly seq: number;
  readonly coupons: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

const add = (into: CodeCounts, code: string, n: number): void => {
  into.set(code, (into.get(code) ?? 0) + n);
};

/**
 * A process's outcome counts not yet in the shared store, and the bookkeeping of flushing them (pure: no I/O, no
 * clock). New counts go to `live`; a flush takes them as one numbered batch, which stays `pending` until the store
 * acknowledges each of its coupons. A failed flush resends the same batch (same number) next time, and only then are
 * newer counts taken: nothing is lost, and a store that dedupes by number never adds a batch twice.
 */
export class SaleStatsTally {
  private live = new Map<string, CodeCounts>();
  private pending: { seq: number; coupons: Map<string, CodeCounts> } | null = null;
  private lastSeq = 0;

  /** Counts one outcome. O(1). */
  record(couponId: string, code: string): void {
    let counts = this.live.get(couponId);
    if (counts === undefined) this.live.set(couponId, (counts = new Map<string, number>()));
    add(counts, code, 1);
  }

  /** What to send now: the pending batch again, else the live counts as a new batch; null when nothing is owed. */
  nextBatch(): TallyBatch | null {
    if (this.pending === null) {
      if (this.live.size === 0) return null;
      this.pending = { seq: ++this.lastSeq, coupons: this.live };
      this.live = new Map();
    }
    return { seq: this.pending.seq, coupons: this.pending.coupons };
  }

  /** The store holds `couponId`'s share of batch `seq` (added now, or found added before): it is owed no more. */
  acknowledge(seq: number, couponId: string): void {
    if (this.pending?.seq !== seq) return;
    this.pending.coupons.delete(couponId);
    if (this.pending.coupons.size === 0) this.pending = null;
  }

  /**
   * What this process counted for `couponId` that the store does not hold, given the last batch number the store says
   * it applied for this process and coupon (0: none).
   */
  unflushed(couponId: string, appliedSeq: number): CodeCounts {
    const counts: CodeCounts = new Map();
    const pending = this.pending;
    if (pending !== null && pending.seq > appliedSeq)
      for (const [code, n] of pending.coupons.get(couponId) ?? []) add(counts, code, n);
    for (const [code, n] of this.live.get(couponId) ?? []) add(counts, code, n);
    return counts;
  }

  /** Coupons with counts not yet acknowledged. */
  get owed(): number {
    return this.live.size + (this.pending?.coupons.size ?? 0);
  }
}
