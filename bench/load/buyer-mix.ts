export interface Click {
  /** Buyer index: `buyer-<index>` is the token's subject. */
  readonly buyer: number;
  readonly idempotencyKey: string | null;
  /** False for a repeat click by a buyer who clicked before. */
  readonly firstClick: boolean;
}

/**
 * Who clicks next in a flash sale: mostly buyers never seen before, some repeat clicks by an earlier buyer (the same
 * Idempotency-Key when their first click carried one, a retry; none otherwise, a second purchase attempt). Every other
 * buyer sends a key. With more clicks than buyers (HTTP baselines that run for a fixed time), buyers start over.
 */
export class BuyerMix {
  private issued = 0;

  constructor(
    private readonly buyers: number,
    private readonly repeatShare: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Distinct buyers who clicked so far. */
  get distinctBuyers(): number {
    return Math.min(this.issued, this.buyers);
  }

  next(): Click {
    if (this.issued > 0 && this.random() < this.repeatShare) {
      const buyer = Math.floor(this.random() * this.distinctBuyers);
      return { buyer, idempotencyKey: keyOf(buyer), firstClick: false };
    }
    const buyer = this.issued % this.buyers;
    this.issued += 1;
    return { buyer, idempotencyKey: keyOf(buyer), firstClick: this.issued <= this.buyers };
  }
}

const keyOf = (buyer: number): string | null => (buyer % 2 === 0 ? `click-${buyer}` : null);
