/** How many seckill and claim attempts ended with each outcome `code` (`PLACED`, `REPLAYED`, or an error code). */
export type OutcomeCounts = Readonly<Record<string, number>>;

/** One coupon's outcomes as read: every replica's as stored, plus this process's not stored yet. */
export interface SaleStatsReading {
  readonly couponId: string;
  readonly outcomes: OutcomeCounts;
  /** When the figures were read. */
  readonly asOf: Date;
}

/**
 * Per-coupon counts of seckill and claim outcomes, summed over every write-api replica. Counting is in memory (the
 * hot path gains no I/O); each process adds what it counted to the shared store now and then, so a reading is
 * eventually consistent within that interval for the other replicas' counts, exact for this process's.
 */
export interface SaleStats {
  /** Counts one outcome of `couponId`. Synchronous, O(1), never throws, never waits. */
  record(couponId: string, code: string): void;
  /**
   * The coupon's counts (codes never seen are absent).
   *
   * @throws DependencyUnavailableError when the shared store cannot be read
   */
  read(couponId: string): Promise<SaleStatsReading>;
}
