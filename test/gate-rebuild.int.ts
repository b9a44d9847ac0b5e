import { Redis } from 'ioredis';
import { GateRecovery } from '../commands/gate-recovery';
import type { GateCouponState } from '../commands/stock-gate-port';
import { startWriteApi } from '../bin/process';
import { TOKENS } from '../bin/tokens';
import { envOf, runCli } from './support/child-process';
import { request, tokenFor } from './support/http-client';
import { deleteKeysMatching } from '../infra/redis/delete-keys-matching';
import { startHarness, type Harness } from './support/write-api-harness';

const comparable = (state: GateCouponState | null) =>
  state && {
    totalStock: state.totalStock,
    minAccountAgeSeconds: state.minAccountAgeSeconds,
    sold: state.sold,
    buyers: Object.fromEntries([...state.buyers].map(([user, orders]) => [user, [...orders].sort()]).sort()),
    idempotencyKeys: Object.fromEntries([...state.idempotencyKeys].sort()),
  };

describe('rebuilding the stock gate from the event store', () => {
  let h: Harness;
  const couponIds: string[] = [];

  beforeAll(async () => {
    h = await startHarness({ COUPONKILL_RECONCILE_GRACE_MS: '0', COUPONKILL_RECONCILE_INTERVAL_MS: '200' });
    couponIds.push(
      await h.createCoupon({ totalStock: 40, perUserLimit: 2, minAccountAgeSeconds: 60 }),
      await h.createCoupon({ totalStock: 7 }),
    );
    const [first, second] = couponIds as [string, string];
    await request(h.api.url, 'POST', `/api/v1/coupons/${second}/stock`, {
      token: h.adminToken,
      body: { quantity: 3 },
    });
    const orders: { orderId: string; userId: string }[] = [];
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const userId = `user-${i % 25}`;
        const couponId = i % 3 === 0 ? second : first;
        const headers: Record<string, string> = i % 4 === 0 ? { 'Idempotency-Key': `key-${i}` } : {};
        const response = await request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, {
          // Accounts an hour old: the first coupon requires a minute.
          token: tokenFor(userId, 'user', Date.now() - 3_600_000),
          headers,
        });
        if (response.status === 201) orders.push({ orderId: String(response.body.orderId), userId });
      }),
    );
    for (const { orderId, userId } of orders.slice(0, 6)) {
      expect(
        (await request(h.api.url, 'POST', `/api/v1/orders/${orderId}/cancel`, { token: tokenFor(userId) }))
          .status,
      ).toBe(200);
    }
    for (const { orderId, userId } of orders.slice(6, 9)) {
      expect(
        (await request(h.api.url, 'POST', `/api/v1/orders/${orderId}/use`, { token: tokenFor(userId) }))
          .status,
      ).toBe(200);
    }
    // Let the reconciler confirm every reservation, so the gate holds settled state only.
    const gate = h.api.container.get(TOKENS.StockGate);
    for (let i = 0; i < 50; i++) {
      const pending = await Promise.all(
        couponIds.map((c) => gate.pendingOlderThan(c, Date.now() + 60_000, 1)),
      );
      if (pending.every((p) => p.length === 0)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(() => h.close());

  const snapshot = () =>
    Promise.all(couponIds.map(async (c) => comparable(await h.api.container.get(TOKENS.StockGate).state(c))));

  it('wipes Redis, rebuilds, and gets the same stock, buyer sets and idempotency keys', async () => {
    const before = await snapshot();
    expect(before[1]?.totalStock).toBe(10);
    // The account-age rule is part of what the gate is rebuilt with.
    expect(before.map((c) => c?.minAccountAgeSeconds)).toEqual([60, 0]);
    await deleteKeysMatching(h.env.config.redis.url, `${h.env.keyPrefix}:*`);
    const gate = h.api.container.get(TOKENS.StockGate);
    expect(await gate.isInitialised()).toBe(false);
    expect(await gate.state(couponIds[0]!)).toBeNull();

    const report = await h.api.container.get(GateRecovery).rebuildAll();
    expect(report.coupons).toBe(2);
    expect(await snapshot()).toEqual(before);
    expect(await gate.isInitialised()).toBe(true);
  });

  it('rebuilds by itself when a write-api starts on an empty Redis', async () => {
    const before = await snapshot();
    await deleteKeysMatching(h.env.config.redis.url, `${h.env.keyPrefix}:*`);
    const second = await startWriteApi(h.env.config, 0);
    try {
      // The harness's reconciler may have found the wiped gate first and be rebuilding it: then the new write-api
      // leaves the rebuild to it (answering 503 GATE_RECOVERING meanwhile) instead of rebuilding twice.
      let now = await snapshot();
      for (let i = 0; i < 300 && JSON.stringify(now) !== JSON.stringify(before); i++) {
        await new Promise((r) => setTimeout(r, 100));
        now = await snapshot();
      }
      expect(now).toEqual(before);
    } finally {
      await second.stop();
    }
  });

  it('passes over a coupon lost again while the rebuild loaded it, and marks the gate only once all are loaded', async () => {
    const before = await snapshot();
    const [first] = couponIds as [string];
    await deleteKeysMatching(h.env.config.redis.url, `${h.env.keyPrefix}:*`);
    const redis = new Redis(h.env.config.redis.url);
    try {
      const rebuilt = h.api.container.get(GateRecovery).rebuildAll();
      // The pass stops the coupon's sales, then waits out appends in flight (its pending reservations were lost):
      // the coupon's keys vanish again in that wait, as in a Redis still losing keys.
      const meta = `${h.env.keyPrefix}:{${first}}:meta`;
      for (let i = 0; i < 100 && (await redis.hget(meta, 'status')) !== 'rebuilding'; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(await redis.hget(meta, 'status')).toBe('rebuilding');
      await deleteKeysMatching(h.env.config.redis.url, `${h.env.keyPrefix}:{${first}}:*`);
      const report = await rebuilt;
      expect(report.lost).toBe(0);
      expect(await snapshot()).toEqual(before);
      expect(await h.api.container.get(TOKENS.StockGate).isInitialised()).toBe(true);
    } finally {
      redis.disconnect();
    }
  });

  it('has the reconciler rebuild a coupon whose keys and registry entry are gone while the gate stays initialised', async () => {
    const before = await snapshot();
    const [first] = couponIds as [string];
    const gate = h.api.container.get(TOKENS.StockGate);
    expect(await gate.isInitialised()).toBe(true);
    await gate.forget(first);
    expect(await gate.state(first)).toBeNull();
    let now = await snapshot();
    for (let i = 0; i < 300 && JSON.stringify(now) !== JSON.stringify(before); i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = await snapshot();
    }
    expect(now).toEqual(before);
  });

  it('rebuilds from the CLI', async () => {
    const before = await snapshot();
    await deleteKeysMatching(h.env.config.redis.url, `${h.env.keyPrefix}:*`);
    const result = await runCli(['rebuild-stock'], envOf(h.env.config));
    // The harness's own reconciler may be rebuilding the wiped gate too: the CLI ends once every coupon is rebuilt,
    // by itself or by the other process.
    expect(result.stderr).not.toMatch(/"level":50|error/i);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ coupons: 2 });
    expect(await snapshot()).toEqual(before);
  });

  it('keeps selling correctly after the rebuild', async () => {
    const [, second] = couponIds as [string, string];
    const state = await h.api.container.get(TOKENS.StockGate).state(second);
    const left = (state?.totalStock ?? 0) - (state?.sold ?? 0);
    const responses = await Promise.all(
      Array.from({ length: left + 5 }, (_, i) =>
        request(h.api.url, 'POST', `/api/v1/seckill/${second}`, { token: tokenFor(`late-${i}`) }),
      ),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(left);
    expect(responses.filter((r) => r.body.error?.code === 'SOLD_OUT')).toHaveLength(5);
  });
});
