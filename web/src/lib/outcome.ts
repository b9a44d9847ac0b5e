import type { ApiError } from '../api/api-error';

export type OutcomeTone = 'success' | 'info' | 'warning' | 'error';

export interface Outcome {
  readonly tone: OutcomeTone;
  readonly title: string;
  readonly text: string;
  /**
   * Whether the request's fate is known: a success or a refusal that nothing was bought (sold out, limit, window…).
   * Anything else (overload, no network, an unexpected error) may or may not have bought: the next click reuses the
   * same Idempotency-Key, so it answers that order if there is one and never buys a second.
   */
  readonly settled: boolean;
}

/** Refusals that say for certain nothing was bought. */
const SETTLED = new Set([
  'SOLD_OUT',
  'LIMIT_REACHED',
  'SALE_NOT_STARTED',
  'SALE_ENDED',
  'COUPON_CLOSED',
  'COUPON_INACTIVE',
  'COUPON_EXPIRED',
  'COUPON_NOT_FOUND',
  'NOT_A_SECKILL_COUPON',
  'NOT_A_REGULAR_COUPON',
  'ACCOUNT_TOO_NEW',
]);

const BUSY = new Set([
  'OVERLOADED',
  'RATE_LIMITED',
  'GATE_RECOVERING',
  'DEPENDENCY_UNAVAILABLE',
  'SECKILL_IN_PROGRESS',
  'NETWORK_ERROR',
]);

/** What a refused purchase means to the buyer, by the API's code (README, "HTTP contract"). */
export const refusalOutcome = (error: ApiError): Outcome => {
  const settled = SETTLED.has(error.code);
  switch (error.code) {
    case 'SOLD_OUT':
      return { tone: 'warning', title: 'Sold out', text: 'Every coupon of this drop is gone.', settled };
    case 'LIMIT_REACHED':
      return {
        tone: 'info',
        title: 'Limit reached',
        text: 'You already hold as many of this coupon as one buyer may.',
        settled,
      };
    case 'SALE_NOT_STARTED':
      return { tone: 'info', title: 'Not open yet', text: error.message, settled };
    case 'SALE_ENDED':
      return { tone: 'warning', title: 'Sale ended', text: 'This sale is over.', settled };
    default:
      if (BUSY.has(error.code))
        return {
          tone: 'error',
          title: 'Busy, try again',
          text: `${error.message}${error.retryAfterSeconds ? ` Try again in ${error.retryAfterSeconds} s.` : ''}`,
          settled,
        };
      return {
        tone: settled ? 'warning' : 'error',
        title: settled ? 'Not on sale' : 'Not bought',
        text: `${error.message} (${error.code})`,
        settled,
      };
  }
};
