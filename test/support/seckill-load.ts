import { request, tokenFor } from './http-client';

/** One seckill's fate under load: when it was answered, its status and error code, its order when placed. */
export interface SeckillOutcome {
  readonly at: number;
  readonly couponId: string;
  readonly status: number;
  readonly code?: string;
  readonly orderId?: string;
}

export interface SeckillLoad {
  readonly outcomes: SeckillOutcome[];
  /** Stops the buyers and waits for their last requests. */
  stop(): Promise<void>;
}

/**
 * A bounded, steady seckill load to 127.0.0.1: `workers` buyers' loops, each request to the next write-api and the
 * next coupon in turn, each worker cycling through `buyersPerWorker` buyer ids. A 503 is retried after 100 ms, as a
 * client honouring Retry-After would (answered at once, it would otherwise spin).
 */
export const steadySeckillLoad = (
  writeUrls: readonly string[],
  coupons: readonly string[],
  { workers = 16, buyersPerWorker = 50 }: { workers?: number; buyersPerWorker?: number } = {},
): SeckillLoad => {
  const outcomes: SeckillOutcome[] = [];
  let running = true;
  let sequence = 0;
  const loops = Array.from({ length: workers }, async (_, worker) => {
    while (running) {
      const n = sequence++;
      const couponId = coupons[n % coupons.length]!;
      try {
        const response = await request(
          writeUrls[n % writeUrls.length]!,
          'POST',
          `/api/v1/seckill/${couponId}`,
          {
            token: tokenFor(`buyer-${String(worker)}-${String(n % buyersPerWorker)}`),
          },
        );
        outcomes.push({
          at: Date.now(),
          couponId,
          status: response.status,
          code: response.body.error?.code,
          orderId: typeof response.body.orderId === 'string' ? response.body.orderId : undefined,
        });
        if (response.status === 503) await new Promise((r) => setTimeout(r, 100));
      } catch (error) {
        outcomes.push({ at: Date.now(), couponId, status: 0, code: String(error) });
      }
    }
  });
  return {
    outcomes,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
};

/** What no buyer may see: anything but a sale, a retriable 503, or a sold-out or per-buyer-limit refusal. */
export const unexpectedOutcomes = (outcomes: readonly SeckillOutcome[]): SeckillOutcome[] =>
  outcomes.filter(
    (o) =>
      o.status !== 201 &&
      o.status !== 503 &&
      !(o.status === 409 && ['SOLD_OUT', 'LIMIT_REACHED'].includes(o.code ?? '')),
  );
