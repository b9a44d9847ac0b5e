/** What the parent asks of a load generator process (passed as one JSON argument). */
export interface LoadPlan {
  readonly name: string;
  readonly url: string;
  readonly connections: number;
  readonly pipelining: number;
  /** Stop after this many responses… */
  readonly amount?: number;
  /** …or after this many seconds. */
  readonly durationSeconds?: number;
  readonly buyers: number;
  readonly repeatShare: number;
  readonly jwt: { readonly secret: string; readonly issuer: string; readonly audience: string };
}

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly p99_9: number;
  readonly max: number;
}

/** What a load generator prints on stdout when it is done. */
export interface LoadResult {
  readonly name: string;
  readonly responses: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** Milliseconds. */
  readonly latency: LatencySummary;
  /** Answers by outcome: `201`, `200` for successes, the API error code (or `HTTP_<status>`) otherwise. */
  readonly outcomes: Record<string, number>;
  /** Connection errors and timeouts (no HTTP answer at all). */
  readonly transportErrors: number;
  readonly timeouts: number;
  readonly accepted: number;
  /** From the first to the last 201: the stretch during which stock was being sold. */
  readonly acceptWindowSeconds: number;
  readonly distinctBuyers: number;
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
}
