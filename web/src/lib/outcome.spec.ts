import { ApiError } from '../api/api-error';
import { refusalOutcome } from './outcome';

const refusal = (code: string, status = 409) =>
  refusalOutcome(new ApiError(status, code, `message of ${code}`));

describe('what a refused purchase means to the buyer', () => {
  it.each([
    'SOLD_OUT',
    'LIMIT_REACHED',
    'SALE_NOT_STARTED',
    'SALE_ENDED',
    'COUPON_CLOSED',
    'ACCOUNT_TOO_NEW',
  ])('settles the purchase on %s: nothing was bought, the next click is a new intent', (code) => {
    expect(refusal(code).settled).toBe(true);
  });

  it.each([
    ['OVERLOADED', 503],
    ['RATE_LIMITED', 429],
    ['GATE_RECOVERING', 503],
    ['NETWORK_ERROR', 0],
    ['SECKILL_IN_PROGRESS', 409],
    // Anything unexpected may have bought: a proxy's 502, an internal error. The key must be kept for those too.
    ['HTTP_502', 502],
    ['INTERNAL_ERROR', 500],
    ['SOMETHING_NEW', 409],
  ])('keeps the purchase open on %s, so the next click reuses its key', (code, status) => {
    expect(refusal(code, status).settled).toBe(false);
  });

  it('says sold out plainly, and busy with the API’s Retry-After', () => {
    expect(refusal('SOLD_OUT').title).toBe('Sold out');
    const busy = refusalOutcome(new ApiError(503, 'OVERLOADED', 'Too many buyers.', {}, 2));
    expect([busy.title, busy.text]).toEqual(['Busy, try again', 'Too many buyers. Try again in 2 s.']);
  });
});
