import type { ApiError } from './api/api-error';

export type OutcomeTone = 'success' | 'info' | 'warning' | 'error';

export interface Outcome {
  readonly tone: OutcomeTone;
  readonly title: string;
  readonly text: string;
  /** Whether pressing the button again may succeed (overload, a dependency briefly down). */
  readonly retry: boolean;
}

/** What a refused purchase means to the buyer, by the API's code (README, "HTTP contract"). */
export const refusalOutcome = (error: ApiError): Outcome => {
  switch (error.code) {
    case 'SOLD_OUT':
      return { tone: 'warning', title: 'Sold out', text: 'Every coupon of this drop is gone.', retry: false };
    case 'LIMIT_REACHED':
      return {
        tone: 'info',
        title: 'Limit reached',
        text: 'You already hold as many of this coupon as one buyer may.',
        retry: false,
      };
    case 'SALE_NOT_STARTED':
      return { tone: 'info', title: 'Not open yet', text: error.message, retry: true };
    case 'SALE_ENDED':
      return { tone: 'warning', title: 'Sale ended', text: 'This sale is over.', retry: false };
    case 'COUPON_CLOSED':
    case 'COUPON_INACTIVE':
    case 'COUPON_EXPIRED':
      return { tone: 'warning', title: 'Not on sale', text: error.message, retry: false };
    case 'OVERLOADED':
    case 'RATE_LIMITED':
    case 'GATE_RECOVERING':
    case 'DEPENDENCY_UNAVAILABLE':
    case 'SECKILL_IN_PROGRESS':
    case 'NETWORK_ERROR':
      return {
        tone: 'error',
        title: 'Busy, try again',
        text: `${error.message}${error.retryAfterSeconds ? ` Try again in ${error.retryAfterSeconds} s.` : ''}`,
        retry: true,
      };
    default:
      return { tone: 'error', title: 'Not bought', text: `${error.message} (${error.code})`, retry: false };
  }
};
