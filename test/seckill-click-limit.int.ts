import { request, tokenFor, type JsonResponse } from './support/http-client';
import { metricOf } from './support/metrics';
import { startHarness, type Harness } from './support/write-api-harness';

/**
 * The per-buyer click limit of the seckill route (COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND, 5 here): one buyer's
 * burst past it is answered 429 RATE_LIMITED with Retry-After and the RateLimit fields, on the lean path and the
 * express route alike (one quota for both), while buyers clicking at the same time are served as if it never came.
 */
describe('the per-buyer seckill click limit (real Redis and MariaDB)', () => {
  const CLICKS = 5;
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND: String(CLICKS) });
  });
  afterAll(() => h.close());

  /** Without a body the lean node:http path answers; with a JSON body, the express route. */
  const seckill = (couponId: string, userId: string, viaExpress = false) =>
    request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, {
      token: tokenFor(userId),
      ...(viaExpress ? { body: {} } : {}),
    });
  const shed = async () =>
    (await metricOf(h.api.opsUrl, 'couponkill_seckill_shed_total', 'reason="buyer_rate_limit"')) ?? 0;

  const expectRateLimited = (response: JsonResponse) => {
    expect([response.status, response.body.error?.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(response.headers.get('ratelimit-policy')).toBe(`"seckill-per-buyer";q=${CLICKS};w=1`);
    expect(response.headers.get('ratelimit')).toMatch(/^"seckill-per-buyer";r=0;t=[01]$/);
  };

  it('answers a buyer’s burst past the limit with 429 on both entry points, and nobody else notices', async () => {
    const couponId = await h.createCoupon({ totalStock: 100, perUserLimit: 20 });
    const shedBefore = await shed();
    const burst = Array.from({ length: 20 }, (_, i) => seckill(couponId, 'clicker', i % 2 === 1));
    const others = Array.from({ length: 10 }, (_, i) => seckill(couponId, `calm-${i}`, i % 2 === 1));
    const [mine, theirs] = await Promise.all([Promise.all(burst), Promise.all(others)]);

    // Within one second: exactly the quota went through (all bought: the per-user limit is 20), the rest was refused.
    const placed = mine.filter((r) => r.status === 201);
    const limited = mine.filter((r) => r.status === 429);
    expect(placed.length + limited.length).toBe(20);
    // The burst may straddle the start of a new second: then a few more go through, never more than twice the quota.
    expect(placed.length).toBeGreaterThanOrEqual(CLICKS);
    expect(placed.length).toBeLessThanOrEqual(2 * CLICKS);
    for (const response of limited) expectRateLimited(response);
    for (const response of placed) {
      expect(response.headers.get('ratelimit-policy')).toBe(`"seckill-per-buyer";q=${CLICKS};w=1`);
      expect(response.headers.get('ratelimit')).toMatch(/^"seckill-per-buyer";r=[0-4];t=[01]$/);
    }
    // The other buyers' outcomes are what they would have been alone.
    for (const response of theirs) expect(response.status).toBe(201);
    expect((await shed()) - shedBefore).toBe(limited.length);

    // Refused clicks took nothing: the gate sold exactly what was answered 201.
    const stored = (await h.allEvents()).filter(
      (e) => e.type === 'OrderPlaced' && (e.data as { couponId: string }).couponId === couponId,
    );
    expect(stored).toHaveLength(placed.length + theirs.length);

    // The quota comes back with the next window.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await seckill(couponId, 'clicker')).status).toBe(201);
  });

  it('counts one quota per buyer across both entry points', async () => {
    const couponId = await h.createCoupon({ totalStock: 100, perUserLimit: 20 });
    // A buyer's window starts at their first click: six clicks in well under a second share it.
    const viaExpress = await Promise.all(
      Array.from({ length: CLICKS }, () => seckill(couponId, 'both-ways', true)),
    );
    for (const response of viaExpress) expect(response.status).toBe(201);
    expectRateLimited(await seckill(couponId, 'both-ways'));
    expectRateLimited(await seckill(couponId, 'both-ways', true));
  });
});
