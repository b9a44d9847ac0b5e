import { randomUUID } from 'node:crypto';
import type { GateCoupon } from '../commands/stock-gate-port';
import { createRedisClient } from '../infra/redis/redis-client';
import { RedisStockGate } from '../infra/redis/redis-stock-gate';
import { createTestEnv, type TestEnv } from './support/test-env';

describe('Redis stock gate', () => {
  let env: TestEnv;
  let gate: RedisStockGate;
  let redis: ReturnType<typeof createRedisClient>;
  const now = Date.now();

  const coupon = (overrides: Partial<GateCoupon> = {}): GateCoupon => ({
    couponId: randomUUID(),
    revision: 0n,
    totalStock: 3,
    perUserLimit: 1,
    saleStartsAtMs: now - 60_000,
    saleEndsAtMs: now + 60_000,
    closed: false,
    ...overrides,
  });
  const reserve = (c: GateCoupon, userId: string, idempotencyKey: string | null = null, nowMs = now) =>
    gate.reserve({ couponId: c.couponId, userId, orderId: randomUUID(), idempotencyKey, nowMs });

  beforeAll(async () => {
    env = createTestEnv();
    redis = createRedisClient({ url: env.config.redis.url, commandTimeoutMs: 2000 });
    await redis.connect();
    gate = new RedisStockGate(redis, env.keyPrefix);
  });
  afterAll(async () => {
    await redis.quit();
    await env.cleanup();
  });

  it('keeps every key of a coupon in one hash slot', async () => {
    const c = coupon();
    await gate.createCoupon(c);
    await reserve(c, 'u1', 'k1');
    const keys = await redis.keys(`${env.keyPrefix}:{${c.couponId}}:*`);
    expect(keys.length).toBeGreaterThanOrEqual(4);
    const slots = await Promise.all(keys.map((k) => redis.call('CLUSTER', 'KEYSLOT', k).catch(() => null)));
    if (slots.every((s) => s !== null)) expect(new Set(slots).size).toBe(1);
    for (const key of keys) expect(key).toContain(`{${c.couponId}}`);
  });

  it('answers each refusal with its own code', async () => {
    const c = coupon({ totalStock: 1 });
    await gate.createCoupon(c);
    expect(await reserve(c, 'u1', null, c.saleStartsAtMs - 1)).toMatchObject({
      kind: 'refused',
      reason: 'SALE_NOT_STARTED',
    });
    expect(await reserve(c, 'u1', null, c.saleEndsAtMs)).toMatchObject({
      kind: 'refused',
      reason: 'SALE_ENDED',
    });
    expect(await reserve(c, 'u1')).toEqual({ kind: 'reserved' });
    expect(await reserve(c, 'u1')).toMatchObject({ kind: 'refused', reason: 'LIMIT_REACHED' });
    expect(await reserve(c, 'u2')).toMatchObject({ kind: 'refused', reason: 'SOLD_OUT' });
    await gate.applyCoupon({ ...c, revision: 1n, closed: true });
    expect(await reserve(c, 'u3')).toMatchObject({ kind: 'refused', reason: 'COUPON_CLOSED' });
    expect(
      await gate.reserve({
        couponId: randomUUID(),
        userId: 'u',
        orderId: randomUUID(),
        idempotencyKey: null,
        nowMs: now,
      }),
    ).toEqual({
      kind: 'unknown_coupon',
    });
  });

  it('returns the buyer’s orders when the limit is reached, and the same order for the same idempotency key', async () => {
    const c = coupon({ perUserLimit: 2, totalStock: 10 });
    await gate.createCoupon(c);
    const o1 = randomUUID();
    const o2 = randomUUID();
    await gate.reserve({ couponId: c.couponId, userId: 'u', orderId: o1, idempotencyKey: 'k1', nowMs: now });
    expect(
      await gate.reserve({
        couponId: c.couponId,
        userId: 'u',
        orderId: randomUUID(),
        idempotencyKey: 'k1',
        nowMs: now,
      }),
    ).toEqual({
      kind: 'replayed',
      orderId: o1,
    });
    await gate.reserve({ couponId: c.couponId, userId: 'u', orderId: o2, idempotencyKey: null, nowMs: now });
    expect(await reserve(c, 'u')).toEqual({ kind: 'refused', reason: 'LIMIT_REACHED', orderIds: [o1, o2] });
    expect((await gate.state(c.couponId))?.sold).toBe(2);
  });

  it('releases a pending reservation once, and never a confirmed one', async () => {
    const c = coupon({ totalStock: 2 });
    await gate.createCoupon(c);
    const kept = randomUUID();
    const lost = randomUUID();
    await gate.reserve({
      couponId: c.couponId,
      userId: 'a',
      orderId: kept,
      idempotencyKey: null,
      nowMs: now,
    });
    await gate.reserve({
      couponId: c.couponId,
      userId: 'b',
      orderId: lost,
      idempotencyKey: 'kb',
      nowMs: now,
    });
    expect((await gate.pendingOlderThan(c.couponId, now, 10)).map((p) => p.orderId).sort()).toEqual(
      [kept, lost].sort(),
    );
    await gate.confirm(c.couponId, [kept]);
    expect(await gate.release(c.couponId, kept)).toBe('not_pending');
    expect(await gate.release(c.couponId, lost)).toBe('released');
    expect(await gate.release(c.couponId, lost)).toBe('not_pending');
    const state = await gate.state(c.couponId);
    expect(state?.sold).toBe(1);
    expect([...(state?.buyers.keys() ?? [])]).toEqual(['a']);
    expect(state?.idempotencyKeys.size).toBe(0);
    expect(await gate.pendingOlderThan(c.couponId, now, 10)).toEqual([]);
  });

  it('returns a cancelled order’s unit exactly once', async () => {
    const c = coupon({ totalStock: 1 });
    await gate.createCoupon(c);
    const orderId = randomUUID();
    await gate.reserve({ couponId: c.couponId, userId: 'a', orderId, idempotencyKey: null, nowMs: now });
    await gate.confirm(c.couponId, [orderId]);
    expect(await gate.returnUnit(c.couponId, orderId, 'a')).toBe('returned');
    expect(await gate.returnUnit(c.couponId, orderId, 'a')).toBe('not_live');
    expect(await reserve(c, 'a')).toEqual({ kind: 'reserved' });
  });

  it('applies coupon changes only in revision order, keeping what was sold', async () => {
    const c = coupon({ totalStock: 1 });
    await gate.createCoupon(c);
    await reserve(c, 'a');
    await gate.applyCoupon({ ...c, revision: 2n, totalStock: 5 });
    await gate.applyCoupon({ ...c, revision: 1n, totalStock: 3 });
    expect(await gate.state(c.couponId)).toMatchObject({ totalStock: 5, sold: 1 });
  });

  it('does not sell more than the stock to thousands of concurrent buyers', async () => {
    const c = coupon({ totalStock: 100, perUserLimit: 2 });
    await gate.createCoupon(c);
    const outcomes = await Promise.all(Array.from({ length: 3000 }, (_, i) => reserve(c, `user-${i % 700}`)));
    expect(outcomes.filter((o) => o.kind === 'reserved')).toHaveLength(100);
    const state = await gate.state(c.couponId);
    expect(state?.sold).toBe(100);
    for (const orders of state?.buyers.values() ?? []) expect(orders.length).toBeLessThanOrEqual(2);
  });
});
