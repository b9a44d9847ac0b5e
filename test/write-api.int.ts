import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { startWriteApi, type RunningWriteApi } from '../bin/process';
import { TOKENS } from '../bin/tokens';
import { freePort } from './support/child-process';
import { request, tokenFor } from './support/http-client';
import { metricOf } from './support/metrics';
import { createTestEnv } from './support/test-env';
import { startHarness, type Harness } from './support/write-api-harness';
import jwt from 'jsonwebtoken';

describe('write-api', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());
  const eventCount = async () => (await h.allEvents()).length;

  describe('users', () => {
    it('registers, refuses a taken name, logs in, and never returns the hash', async () => {
      const created = await request(h.api.url, 'POST', '/api/v1/users', {
        body: { username: 'Alice', password: 'correct horse' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ userId: expect.any(String), username: 'alice' });
      expect(
        (
          await request(h.api.url, 'POST', '/api/v1/users', {
            body: { username: 'alice', password: 'another one' },
          })
        ).body.error?.code,
      ).toBe('USERNAME_TAKEN');
      const login = await request(h.api.url, 'POST', '/api/v1/auth/login', {
        body: { username: 'alice', password: 'correct horse' },
      });
      expect(login.status).toBe(200);
      expect(login.body).toMatchObject({
        token: expect.any(String),
        expiresIn: 3600,
        userId: created.body.userId,
      });
      const claims = jwt.decode(String(login.body.token)) as jwt.JwtPayload;
      expect(claims.sub).toBe(created.body.userId);
      expect(claims.role).toBe('user');
      const wrong = await request(h.api.url, 'POST', '/api/v1/auth/login', {
        body: { username: 'alice', password: 'wrong horse' },
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error?.code).toBe('INVALID_CREDENTIALS');
      expect(
        (
          await request(h.api.url, 'POST', '/api/v1/auth/login', {
            body: { username: 'nobody', password: 'whatever1' },
          })
        ).status,
      ).toBe(401);
      expect(JSON.stringify((await h.allEvents()).map((e) => e.data))).toContain('scrypt$');
      expect(JSON.stringify([created.body, login.body])).not.toContain('scrypt');
    });

    it('bootstraps the configured administrator, who can log in and manage coupons', async () => {
      const login = await request(h.api.url, 'POST', '/api/v1/auth/login', {
        body: { username: 'admin', password: 'admin-password-123' },
      });
      expect(login.status).toBe(200);
      expect(login.body.role).toBe('admin');
      const created = await request(h.api.url, 'POST', '/api/v1/coupons', {
        token: String(login.body.token),
        body: {
          name: 'Admin made',
          faceValueCents: 100,
          totalStock: 1,
          saleStartsAt: '2026-01-01T00:00:00Z',
          saleEndsAt: '2027-01-01T00:00:00Z',
        },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name: 'Admin made',
        totalStock: 1,
        perUserLimit: 1,
        status: 'ACTIVE',
      });
      expect(created.headers.get('location')).toBe(`/api/v1/coupons/${String(created.body.couponId)}`);
    });
  });

  describe('coupons and orders', () => {
    it('adds stock, closes, and answers each order transition', async () => {
      const couponId = await h.createCoupon({ totalStock: 1 });
      const buyer = tokenFor('buyer-1');
      const first = await request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, { token: buyer });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        couponId,
        userId: 'buyer-1',
        status: 'PLACED',
        position: expect.stringMatching(/^\d+$/),
      });
      expect(
        (await request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor('buyer-2') })).body
          .error?.code,
      ).toBe('SOLD_OUT');

      const stocked = await request(h.api.url, 'POST', `/api/v1/coupons/${couponId}/stock`, {
        token: h.adminToken,
        body: { quantity: 2 },
      });
      expect(stocked.status).toBe(200);
      expect(stocked.body.totalStock).toBe(3);
      expect(
        (await request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor('buyer-2') }))
          .status,
      ).toBe(201);

      const orderId = String(first.body.orderId);
      const other = await request(h.api.url, 'POST', `/api/v1/orders/${orderId}/cancel`, {
        token: tokenFor('buyer-2'),
      });
      // Another buyer's order answers as a missing one, as on the read API: ids cannot be probed.
      expect(other.status).toBe(404);
      expect(other.body.error?.code).toBe('ORDER_NOT_FOUND');
      expect(
        (await request(h.api.url, 'POST', `/api/v1/orders/${orderId}/use`, { token: buyer })).body,
      ).toMatchObject({ status: 'USED' });
      const cancelUsed = await request(h.api.url, 'POST', `/api/v1/orders/${orderId}/cancel`, {
        token: buyer,
      });
      expect(cancelUsed.status).toBe(409);
      expect(cancelUsed.body.error?.code).toBe('ORDER_ALREADY_USED');

      const second = await request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, {
        token: tokenFor('buyer-3'),
      });
      const secondId = String(second.body.orderId);
      const cancelled = await request(h.api.url, 'POST', `/api/v1/orders/${secondId}/cancel`, {
        token: tokenFor('buyer-3'),
      });
      expect(cancelled.body).toMatchObject({ status: 'CANCELLED' });
      expect(
        (await request(h.api.url, 'POST', `/api/v1/orders/${secondId}/use`, { token: tokenFor('buyer-3') }))
          .body.error?.code,
      ).toBe('ORDER_CANCELLED');
      expect(
        (
          await request(h.api.url, 'POST', `/api/v1/orders/${secondId}/cancel`, {
            token: tokenFor('buyer-3'),
          })
        ).body.error?.code,
      ).toBe('ORDER_ALREADY_CANCELLED');
      // The cancelled unit went back: the buyer may buy again.
      expect(
        (await request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor('buyer-3') }))
          .status,
      ).toBe(201);

      expect(
        (await request(h.api.url, 'POST', `/api/v1/coupons/${couponId}/close`, { token: h.adminToken })).body
          .status,
      ).toBe('CLOSED');
      expect(
        (await request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor('buyer-9') })).body
          .error?.code,
      ).toBe('COUPON_CLOSED');
    });

    it('answers the sale window and unknown things with their codes', async () => {
      const future = await h.createCoupon({
        saleStartsAt: new Date(Date.now() + 3_600_000).toISOString(),
        saleEndsAt: new Date(Date.now() + 7_200_000).toISOString(),
      });
      const past = await h.createCoupon({
        saleStartsAt: new Date(Date.now() - 7_200_000).toISOString(),
        saleEndsAt: new Date(Date.now() - 3_600_000).toISOString(),
      });
      const token = tokenFor('window-buyer');
      expect(
        (await request(h.api.url, 'POST', `/api/v1/seckill/${future}`, { token })).body.error?.code,
      ).toBe('SALE_NOT_STARTED');
      expect((await request(h.api.url, 'POST', `/api/v1/seckill/${past}`, { token })).body.error?.code).toBe(
        'SALE_ENDED',
      );
      const unknownCoupon = await request(
        h.api.url,
        'POST',
        '/api/v1/seckill/00000000-0000-7000-8000-000000000000',
        { token },
      );
      expect([unknownCoupon.status, unknownCoupon.body.error?.code]).toEqual([404, 'COUPON_NOT_FOUND']);
      const unknownOrder = await request(
        h.api.url,
        'POST',
        '/api/v1/orders/00000000-0000-7000-8000-000000000000/cancel',
        { token },
      );
      expect([unknownOrder.status, unknownOrder.body.error?.code]).toEqual([404, 'ORDER_NOT_FOUND']);
      const stockUnknown = await request(
        h.api.url,
        'POST',
        '/api/v1/coupons/00000000-0000-7000-8000-000000000000/stock',
        {
          token: h.adminToken,
          body: { quantity: 1 },
        },
      );
      expect([stockUnknown.status, stockUnknown.body.error?.code]).toEqual([404, 'COUPON_NOT_FOUND']);
    });
  });

  describe('bad input is refused with nothing written', () => {
    const validCoupon = {
      name: 'x',
      faceValueCents: 1,
      totalStock: 1,
      saleStartsAt: '2026-01-01T00:00:00Z',
      saleEndsAt: '2027-01-01T00:00:00Z',
    };
    const cases: [string, () => Parameters<typeof request>, number, string][] = [
      [
        'malformed JSON',
        () => [h.api.url, 'POST', '/api/v1/coupons', { token: h.adminToken, rawBody: '{"name": ' }],
        400,
        'MALFORMED_JSON',
      ],
      [
        'an unknown field',
        () => [
          h.api.url,
          'POST',
          '/api/v1/coupons',
          { token: h.adminToken, body: { ...validCoupon, extra: 1 } },
        ],
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a negative stock',
        () => [
          h.api.url,
          'POST',
          '/api/v1/coupons',
          { token: h.adminToken, body: { ...validCoupon, totalStock: -5 } },
        ],
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a fractional price',
        () => [
          h.api.url,
          'POST',
          '/api/v1/coupons',
          { token: h.adminToken, body: { ...validCoupon, faceValueCents: 1.5 } },
        ],
        400,
        'VALIDATION_FAILED',
      ],
      [
        'an inverted window',
        () => [
          h.api.url,
          'POST',
          '/api/v1/coupons',
          { token: h.adminToken, body: { ...validCoupon, saleEndsAt: '2025-01-01T00:00:00Z' } },
        ],
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a non-date',
        () => [
          h.api.url,
          'POST',
          '/api/v1/coupons',
          { token: h.adminToken, body: { ...validCoupon, saleStartsAt: 'tomorrow' } },
        ],
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a huge body',
        () => [
          h.api.url,
          'POST',
          '/api/v1/coupons',
          { token: h.adminToken, body: { ...validCoupon, name: 'x'.repeat(100_000) } },
        ],
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      [
        'a body that is not JSON',
        () => [
          h.api.url,
          'POST',
          '/api/v1/users',
          { rawBody: 'username=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        ],
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'a JSON array',
        () => [h.api.url, 'POST', '/api/v1/users', { rawBody: '[1,2]' }],
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a short password',
        () => [h.api.url, 'POST', '/api/v1/users', { body: { username: 'bob', password: 'short' } }],
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a bad username',
        () => [
          h.api.url,
          'POST',
          '/api/v1/users',
          { body: { username: 'no spaces please', password: 'long enough' } },
        ],
        400,
        'VALIDATION_FAILED',
      ],
      [
        'no token',
        () => [h.api.url, 'POST', '/api/v1/coupons', { body: validCoupon }],
        401,
        'UNAUTHENTICATED',
      ],
      [
        'a forged token',
        () => [
          h.api.url,
          'POST',
          '/api/v1/coupons',
          {
            token: jwt.sign({ role: 'admin' }, 'not-the-secret-not-the-secret-000', {
              subject: 'x',
              issuer: 'couponkill',
              audience: 'couponkill',
            }),
            body: validCoupon,
          },
        ],
        401,
        'UNAUTHENTICATED',
      ],
      [
        'an expired token',
        () => [
          h.api.url,
          'POST',
          '/api/v1/coupons',
          {
            token: jwt.sign({ role: 'admin', exp: 1 }, 'integration-tests-secret-0123456789abcdef', {
              subject: 'x',
              issuer: 'couponkill',
              audience: 'couponkill',
            }),
            body: validCoupon,
          },
        ],
        401,
        'UNAUTHENTICATED',
      ],
      [
        'a token with algorithm none',
        () => [
          h.api.url,
          'POST',
          '/api/v1/coupons',
          {
            token: jwt
              .sign({ role: 'admin', sub: 'x', iss: 'couponkill', aud: 'couponkill' }, '', {
                algorithm: 'none',
              })
              .replace(/\.$/, '.x'),
            body: validCoupon,
          },
        ],
        401,
        'UNAUTHENTICATED',
      ],
      [
        'a user token on an admin route',
        () => [h.api.url, 'POST', '/api/v1/coupons', { token: tokenFor('someone'), body: validCoupon }],
        403,
        'FORBIDDEN',
      ],
      [
        'a bad coupon id',
        () => [h.api.url, 'POST', '/api/v1/seckill/not-a-uuid', { token: tokenFor('someone') }],
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a bad idempotency key',
        () => [
          h.api.url,
          'POST',
          '/api/v1/seckill/00000000-0000-7000-8000-000000000000',
          { token: tokenFor('someone'), headers: { 'Idempotency-Key': 'has space' } },
        ],
        400,
        'VALIDATION_FAILED',
      ],
      [
        'a zero quantity',
        () => [
          h.api.url,
          'POST',
          '/api/v1/coupons/00000000-0000-7000-8000-000000000000/stock',
          { token: h.adminToken, body: { quantity: 0 } },
        ],
        400,
        'VALIDATION_FAILED',
      ],
      ['an unknown route', () => [h.api.url, 'GET', '/api/v1/nothing', {}], 404, 'NOT_FOUND'],
    ];

    it.each(cases)('%s', async (_name, args, status, code) => {
      const before = await eventCount();
      const response = await request(...args());
      expect(response.status).toBe(status);
      expect(response.body.error).toEqual({
        code,
        message: expect.any(String),
        ...(response.body.error?.details ? { details: expect.anything() } : {}),
      });
      expect(JSON.stringify(response.body)).not.toMatch(/\n\s+at /);
      expect(await eventCount()).toBe(before);
    });
  });

  describe('operations', () => {
    it('answers health, readiness and metrics', async () => {
      expect((await request(h.api.url, 'GET', '/healthz')).status).toBe(200);
      expect((await request(h.api.opsUrl, 'GET', '/healthz')).status).toBe(200);
      const ready = await request(h.api.opsUrl, 'GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ checks: { redis: { status: 'up' }, eventStore: { status: 'up' } } });
      const metrics = await (await fetch(`${h.api.opsUrl}/metrics`)).text();
      expect(metrics).toMatch(
        /couponkill_http_requests_total\{.*route="\/api\/v1\/seckill\/:couponId".*\} \d+/,
      );
      expect(metrics).toMatch(/couponkill_http_request_duration_seconds_bucket/);
      expect(metrics).toMatch(/couponkill_seckill_outcomes_total\{code="PLACED".*\} \d+/);
      expect(metrics).toMatch(/couponkill_seckill_outcomes_total\{code="SOLD_OUT".*\} \d+/);
      // The names of 0.1 stay while COUPONKILL_METRICS_LEGACY_NAMES is on (its default in 0.2).
      expect(metrics).toMatch(/^http_requests_total\{.*route="\/api\/v1\/seckill\/:couponId".*\} \d+$/m);
      expect(metrics).toMatch(
        /^# HELP http_requests_total .*\(deprecated: renamed to couponkill_http_requests_total/m,
      );
    });
  });
});

describe('write-api with Redis down', () => {
  let redis: ChildProcess;
  let api: RunningWriteApi;
  const env = createTestEnv();
  let couponId: string;

  beforeAll(async () => {
    const port = await freePort();
    redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 50; i++) {
      try {
        await fetch(`http://127.0.0.1:${port}`).catch((e: unknown) => {
          throw e;
        });
      } catch (error) {
        if (String((error as Error).cause ?? error).includes('ECONNREFUSED')) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
      }
      break;
    }
    const config = { ...env.config, redis: { ...env.config.redis, url: `redis://127.0.0.1:${port}` } };
    api = await startWriteApi(config, 0);
    const created = await request(api.url, 'POST', '/api/v1/coupons', {
      token: tokenFor('admin', 'admin'),
      body: {
        name: 'x',
        faceValueCents: 1,
        totalStock: 5,
        saleStartsAt: '2026-01-01T00:00:00Z',
        saleEndsAt: '2099-01-01T00:00:00Z',
      },
    });
    couponId = String(created.body.couponId);
    redis.kill('SIGKILL');
    await once(redis, 'exit');
  });
  afterAll(async () => {
    await api.stop();
    await env.cleanup();
  });

  it('answers 503 DEPENDENCY_UNAVAILABLE, reports not ready, and writes nothing', async () => {
    const store = api.container.get(TOKENS.EventStore);
    const before = await store.headPosition();
    const response = await request(api.url, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor('u') });
    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      error: { code: 'DEPENDENCY_UNAVAILABLE', message: expect.stringContaining('redis') },
    });
    expect(response.headers.get('retry-after')).toBe('1');
    const stock = await request(api.url, 'POST', `/api/v1/coupons/${couponId}/stock`, {
      token: tokenFor('admin', 'admin'),
      body: { quantity: 1 },
    });
    expect(stock.status).toBe(503);
    const ready = await request(api.opsUrl, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ checks: { redis: { status: 'down' }, eventStore: { status: 'up' } } });
    expect(await store.headPosition()).toBe(before);
  });

  it("opens Redis's circuit breaker: seckills are refused at once, and readiness says why", async () => {
    for (let i = 0; i < 10; i++)
      await request(api.url, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor(`u-${i}`) });
    expect(await metricOf(api.opsUrl, 'couponkill_circuit_breaker_state', 'dependency="redis"')).toBe(2);
    const started = performance.now();
    const refused = await request(api.url, 'POST', `/api/v1/seckill/${couponId}`, {
      token: tokenFor('late'),
    });
    expect(performance.now() - started).toBeLessThan(500);
    expect(refused.body.error?.code).toBe('DEPENDENCY_UNAVAILABLE');
    const ready = await request(api.opsUrl, 'GET', '/readyz');
    expect(ready.body).toMatchObject({
      status: 'unavailable',
      breakers: {
        redis: { state: 'open', lastFailure: expect.any(String) },
        'event store': { state: 'closed' },
      },
    });
    expect(await metricOf(api.opsUrl, 'couponkill_circuit_breaker_state', 'dependency="event store"')).toBe(
      0,
    );
  });
});
