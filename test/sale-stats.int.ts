import { setTimeout as sleep } from 'node:timers/promises';
import { startWriteApi, type RunningWriteApi } from '../bin/process';
import { TOKENS } from '../bin/tokens';
import { request, tokenFor, type JsonResponse } from './support/http-client';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';
import { createTestEnv, REDIS_URL, type TestEnv } from './support/test-env';
import { allEventsOf, createCouponVia } from './support/write-api-requests';

/** Two write-apis on one event store and one Redis (prefix), as two replicas of a Deployment. */
const startReplicas = async (
  overrides: Record<string, string>,
): Promise<{ env: TestEnv; a: RunningWriteApi; b: RunningWriteApi }> => {
  const env = createTestEnv(overrides);
  const a = await startWriteApi(env.config, 0);
  const b = await startWriteApi(env.config, 0);
  return { env, a, b };
};

const admin = tokenFor('stats-admin', 'admin');
const statsOf = (api: RunningWriteApi, couponId: string, token = admin): Promise<JsonResponse> =>
  request(api.url, 'GET', `/api/v1/admin/coupons/${couponId}/sale-stats`, { token });

const tally = (responses: readonly JsonResponse[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const { status, body } of responses) {
    const code = status === 201 ? 'PLACED' : status === 200 ? 'REPLAYED' : (body.error?.code ?? '?');
    counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
};

const placedOf = async (api: RunningWriteApi, couponId: string): Promise<number> =>
  (await allEventsOf(api.container.get(TOKENS.EventStore))).filter(
    (e) => e.type === 'OrderPlaced' && (e.data as { couponId: string }).couponId === couponId,
  ).length;

describe('sale stats: per-coupon seckill outcomes over every replica (real HTTP, Redis, MariaDB)', () => {
  describe('flushed every 200 ms', () => {
    let env: TestEnv;
    let a: RunningWriteApi;
    let b: RunningWriteApi;
    beforeAll(async () => {
      ({ env, a, b } = await startReplicas({
        COUPONKILL_SALE_STATS_FLUSH_MS: '200',
        COUPONKILL_RECONCILE_GRACE_MS: '600000',
        COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND: '3',
      }));
    });
    afterAll(async () => {
      await a.stop();
      await b.stop();
      await env.cleanup();
    });

    it('counts what a few hundred concurrent seckills over two replicas were answered, each once', async () => {
      const couponId = await createCouponVia(a.url, admin, { totalStock: 40, perUserLimit: 1 });
      // 200 buyers, the first 80 of them twice (LIMIT_REACHED or SOLD_OUT), alternating replicas; then one buyer
      // clicking 10 times at once on one replica meets its click limit (RATE_LIMITED, counted: a coupon the replica
      // has answered for).
      const buyers = [
        ...Array.from({ length: 200 }, (_, i) => `buyer-${i}`),
        ...Array.from({ length: 80 }, (_, i) => `buyer-${i}`),
      ];
      const responses = await Promise.all(
        buyers.map((userId, i) =>
          request([a, b][i % 2]!.url, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor(userId) }),
        ),
      );
      const clicks = await Promise.all(
        Array.from({ length: 10 }, () =>
          request(a.url, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor('clicker') }),
        ),
      );
      const observed = tally([...responses, ...clicks]);
      expect(observed.PLACED).toBe(40);
      expect(observed.LIMIT_REACHED).toBeGreaterThan(0);
      expect(observed.SOLD_OUT).toBeGreaterThan(0);
      expect(observed.RATE_LIMITED).toBeGreaterThan(0);

      await sleep(1000); // past the flush interval of both replicas
      const fromA = await statsOf(a, couponId);
      const fromB = await statsOf(b, couponId);
      expect(fromA.status).toBe(200);
      expect(fromA.body).toMatchObject({ couponId, outcomes: observed });
      expect(fromB.body.outcomes).toEqual(observed);
      expect(fromA.body.outcomes).toEqual(observed);
      expect(await placedOf(a, couponId)).toBe(observed.PLACED);
      expect(new Date(String(fromA.body.asOf)).getTime()).toBeGreaterThan(Date.now() - 5000);
    });

    it('counts nothing for a coupon that does not exist, however its callers are refused', async () => {
      const madeUp = '00000000-0000-7000-8000-00000000dead';
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          request(a.url, 'POST', `/api/v1/seckill/${madeUp}`, {
            token: tokenFor('prober'),
            headers: i === 0 ? { 'idempotency-key': 'bad key with spaces' } : {},
          }),
        ),
      );
      const codes = new Set(answers.map((answer) => answer.body.error?.code));
      expect(codes).toEqual(new Set(['VALIDATION_FAILED', 'COUPON_NOT_FOUND', 'RATE_LIMITED']));
      await sleep(600);
      expect((await statsOf(a, madeUp)).body.outcomes).toEqual({});
    });

    it('answers an untried coupon with no outcomes, a bad id 400, a buyer 403, no token 401', async () => {
      const untried = '00000000-0000-7000-8000-00000000abcd';
      expect((await statsOf(a, untried)).body).toMatchObject({ couponId: untried, outcomes: {} });
      const bad = await statsOf(a, 'not-a-coupon');
      expect([bad.status, bad.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
      const buyer = await statsOf(a, untried, tokenFor('buyer-1'));
      expect([buyer.status, buyer.body.error?.code]).toEqual([403, 'FORBIDDEN']);
      const anonymous = await request(a.url, 'GET', `/api/v1/admin/coupons/${untried}/sale-stats`);
      expect([anonymous.status, anonymous.body.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
    });
  });

  describe('flushed once a minute', () => {
    let env: TestEnv;
    let a: RunningWriteApi;
    let b: RunningWriteApi;
    beforeAll(async () => {
      ({ env, a, b } = await startReplicas({ COUPONKILL_SALE_STATS_FLUSH_MS: '60000' }));
    });
    afterAll(async () => {
      await a.stop();
      await env.cleanup();
    });

    it("shows a replica's own counts at once, and another's once that one flushes (at shutdown at the latest)", async () => {
      const couponId = await createCouponVia(a.url, admin, { totalStock: 5, perUserLimit: 1 });
      const onA = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          request(a.url, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor(`a-${i}`) }),
        ),
      );
      const onB = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          request(b.url, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor(`b-${i}`) }),
        ),
      );
      // Nothing flushed yet: each replica shows what it counted itself.
      expect((await statsOf(a, couponId)).body.outcomes).toEqual(tally(onA));
      expect((await statsOf(b, couponId)).body.outcomes).toEqual(tally(onB));
      await b.stop(); // flushes what b counted
      const both = tally([...onA, ...onB]);
      expect(both).toEqual({ PLACED: 5, SOLD_OUT: 7 });
      expect((await statsOf(a, couponId)).body.outcomes).toEqual(both);
    });
  });

  describe('while Redis is away', () => {
    let proxy: TcpProxy;
    let env: TestEnv;
    let api: RunningWriteApi;
    beforeAll(async () => {
      const redis = new URL(REDIS_URL);
      proxy = await startTcpProxy(redis.hostname, Number(redis.port || 6379));
      env = createTestEnv({
        COUPONKILL_REDIS_URL: `redis://127.0.0.1:${String(proxy.port)}`,
        COUPONKILL_SALE_STATS_FLUSH_MS: '100',
        COUPONKILL_RECONCILE_GRACE_MS: '600000',
      });
      api = await startWriteApi(env.config, 0);
    });
    afterAll(async () => {
      proxy.restore();
      await api.stop();
      await env.cleanup();
      await proxy.close();
    });

    it('answers 503 DEPENDENCY_UNAVAILABLE, keeps counting, and loses nothing once Redis is back', async () => {
      const couponId = await createCouponVia(api.url, admin, { totalStock: 3, perUserLimit: 1 });
      const seckill = (userId: string) =>
        request(api.url, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor(userId) });
      const before = await Promise.all(['u1', 'u2', 'u3', 'u4', 'u5'].map(seckill));
      proxy.cut();
      const away = await statsOf(api, couponId);
      expect([away.status, away.body.error?.code]).toEqual([503, 'DEPENDENCY_UNAVAILABLE']);
      const during = await Promise.all(['u6', 'u7'].map(seckill));
      expect(during.map((r) => r.status)).toEqual([503, 503]);
      await sleep(500); // several failed flushes
      proxy.restore();
      let back: JsonResponse = away;
      for (const deadline = Date.now() + 15_000; back.status !== 200 && Date.now() < deadline;)
        back = await sleep(200).then(() => statsOf(api, couponId));
      expect(back.body.outcomes).toEqual(tally([...before, ...during]));
      await sleep(500); // flushed now: Redis alone holds the same figures
      expect((await statsOf(api, couponId)).body.outcomes).toEqual(tally([...before, ...during]));
    });
  });
});
