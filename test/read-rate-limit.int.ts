import { startRoles, type RunningProcess } from '../bin/process';
import { request, tokenFor, type JsonResponse } from './support/http-client';
import { metricOf } from './support/metrics';
import { createTestEnv, type TestEnv } from './support/test-env';

/**
 * The read API's per-buyer quota (COUPONKILL_READ_BUYER_REQUESTS_PER_SECOND, 3 here): a buyer's burst past it is
 * answered 429 RATE_LIMITED with Retry-After and the RateLimit fields before any query runs, and another buyer reading
 * at the same time is served as if it never came.
 */
describe('the read API’s per-buyer quota (real MariaDB)', () => {
  const QUOTA = 3;
  let env: TestEnv;
  let app: RunningProcess;
  let readUrl: string;

  beforeAll(async () => {
    env = createTestEnv({ COUPONKILL_READ_BUYER_REQUESTS_PER_SECOND: String(QUOTA) });
    app = await startRoles(env.config, { readApi: 0 }, 'all-in-one');
    readUrl = app.urls.readApi ?? '';
  });
  afterAll(async () => {
    await app.stop();
    await env.cleanup();
  });

  const read = (userId: string) => request(readUrl, 'GET', '/api/v1/coupons', { token: tokenFor(userId) });

  it('refuses a buyer past the quota with 429 and leaves other buyers alone', async () => {
    const [mine, theirs] = await Promise.all([
      Promise.all(Array.from({ length: 3 * QUOTA }, () => read('greedy'))),
      Promise.all(Array.from({ length: QUOTA }, (_, i) => read(`calm-${i}`))),
    ]);
    // Whatever the read model answers (served, or not built yet), it answered past the quota.
    const served = mine.filter((r) => r.status !== 429);
    const limited = mine.filter((r) => r.status === 429);
    expect(served).toHaveLength(QUOTA);
    for (const response of served) {
      expect(response.headers.get('ratelimit-policy')).toBe(`"read-per-buyer";q=${QUOTA};w=1`);
      expect(response.headers.get('ratelimit')).toMatch(/^"read-per-buyer";r=[0-2];t=[01]$/);
    }
    for (const response of limited) expectRateLimited(response);
    for (const response of theirs) expect(response.status).not.toBe(429);
    expect(await metricOf(app.urls.ops, 'couponkill_read_shed_total', 'reason="buyer_rate_limit"')).toBe(
      limited.length,
    );

    await new Promise((r) => setTimeout(r, 1100));
    expect((await read('greedy')).status).not.toBe(429);
  });

  const expectRateLimited = (response: JsonResponse) => {
    expect([response.status, response.body.error?.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(response.headers.get('ratelimit-policy')).toBe(`"read-per-buyer";q=${QUOTA};w=1`);
    expect(response.headers.get('ratelimit')).toMatch(/^"read-per-buyer";r=0;t=[01]$/);
  };
});
