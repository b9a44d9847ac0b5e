import { randomUUID } from 'node:crypto';
import { GateRecovery } from '../commands/gate-recovery';
import { couponStreamId } from '../domain/coupon/coupon-events';
import { TOKENS } from '../bin/tokens';
import { request, tokenFor, type JsonResponse } from './support/http-client';
import { startHarness, type Harness } from './support/write-api-harness';

/**
 * A coupon's account-age rule (minAccountAgeSeconds), checked by the stock gate against the registration time the
 * buyer's token carries: an account registered just now is refused with 403 ACCOUNT_TOO_NEW until it is old enough,
 * then served; coupons without the rule (including those stored before the rule existed, upcast on read) serve it
 * at once; a token without the claim counts as an account of unknown age.
 */
describe('the coupon account-age rule (real Redis and MariaDB)', () => {
  // Long enough that registering, logging in and the first seckill fit inside it on a busy machine.
  const MIN_AGE_SECONDS = 5;
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  /**
   * Registers a buyer and logs them in: the token is the one a real buyer gets. Its registration time is the server's
   * (the token's `rat` claim, whole seconds rounded up), not the test's clock before the request: the server records
   * it after hashing the password, which a busy machine can delay by seconds.
   */
  const newBuyer = async (): Promise<{ token: string; registeredAtMs: number }> => {
    const username = `buyer-${randomUUID().slice(0, 8)}`;
    const credentials = { username, password: 'correct-horse-battery' };
    expect((await request(h.api.url, 'POST', '/api/v1/users', { body: credentials })).status).toBe(201);
    const login = await request(h.api.url, 'POST', '/api/v1/auth/login', { body: credentials });
    expect(login.status).toBe(200);
    const token = String(login.body.token);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      rat?: unknown;
    };
    expect(typeof claims.rat).toBe('number');
    return { token, registeredAtMs: (claims.rat as number) * 1000 };
  };
  const seckill = (couponId: string, token: string) =>
    request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, { token });
  const expectTooNew = (response: JsonResponse) =>
    expect([response.status, response.body.error?.code]).toEqual([403, 'ACCOUNT_TOO_NEW']);

  it('refuses an account younger than the rule, serves it once old enough, and serves it at once without the rule', async () => {
    const guarded = await h.createCoupon({ totalStock: 10, minAccountAgeSeconds: MIN_AGE_SECONDS });
    const open = await h.createCoupon({ totalStock: 10 });
    const buyer = await newBuyer();

    expectTooNew(await seckill(guarded, buyer.token));
    expect((await seckill(open, buyer.token)).status).toBe(201);

    // Wait until the account is old enough by the time the token carries.
    const oldEnoughAt = buyer.registeredAtMs + MIN_AGE_SECONDS * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, oldEnoughAt - Date.now()) + 50));
    expect((await seckill(guarded, buyer.token)).status).toBe(201);

    // The stored event carries the rule, at schema version 3.
    const created = (await h.allEvents()).find(
      (e) => e.type === 'CouponCreated' && (e.data as { couponId: string }).couponId === guarded,
    );
    expect(created).toMatchObject({ schemaVersion: 4, data: { minAccountAgeSeconds: MIN_AGE_SECONDS } });
  });

  it('treats a token without the registration claim as an account of unknown age', async () => {
    const guarded = await h.createCoupon({ totalStock: 10, minAccountAgeSeconds: MIN_AGE_SECONDS });
    const open = await h.createCoupon({ totalStock: 10 });
    const legacyToken = tokenFor(`legacy-${randomUUID()}`);
    expectTooNew(await seckill(guarded, legacyToken));
    expect((await seckill(open, legacyToken)).status).toBe(201);
  });

  it('shows the rule on the coupon and refuses a bad one at creation', async () => {
    const created = await request(h.api.url, 'POST', '/api/v1/coupons', {
      token: h.adminToken,
      body: {
        name: 'Aged accounts only',
        faceValueCents: 100,
        totalStock: 1,
        minAccountAgeSeconds: 86_400,
        saleStartsAt: new Date(Date.now() - 60_000).toISOString(),
        saleEndsAt: new Date(Date.now() + 60_000).toISOString(),
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.minAccountAgeSeconds).toBe(86_400);
    const refused = await request(h.api.url, 'POST', '/api/v1/coupons', {
      token: h.adminToken,
      body: {
        name: 'Bad rule',
        faceValueCents: 100,
        totalStock: 1,
        minAccountAgeSeconds: -1,
        saleStartsAt: new Date(Date.now() - 60_000).toISOString(),
        saleEndsAt: new Date(Date.now() + 60_000).toISOString(),
      },
    });
    expect([refused.status, refused.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('sells a coupon stored before the rule existed (CouponCreated v2, upcast) to a brand-new account', async () => {
    const couponId = randomUUID();
    const now = Date.now();
    // Written as the release before this one wrote it: no minAccountAgeSeconds, schema version 2.
    await h.api.container.get(TOKENS.EventStore).append(
      couponStreamId(couponId),
      [
        {
          type: 'CouponCreated',
          schemaVersion: 2,
          data: {
            couponId,
            name: 'Old coupon',
            description: '',
            faceValueCents: 100,
            totalStock: 5,
            perUserLimit: 1,
            saleStartsAt: new Date(now - 60_000).toISOString(),
            saleEndsAt: new Date(now + 3_600_000).toISOString(),
          },
          metadata: {
            eventId: randomUUID(),
            correlationId: 'old-release',
            causationId: 'old-release',
            userId: 'admin-user',
            occurredAt: new Date(now).toISOString(),
          },
        },
      ],
      'no_stream',
    );
    // The gate has never seen it: it is loaded from the event store (upcast to v3, no rule) as any lost coupon is.
    await h.api.container.get(GateRecovery).recover([couponId]);
    const buyer = await newBuyer();
    expect((await seckill(couponId, buyer.token)).status).toBe(201);
    const state = await h.api.container.get(TOKENS.StockGate).state(couponId);
    expect(state).toMatchObject({ minAccountAgeSeconds: 0, sold: 1 });
  });
});
