import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DependencyUnavailableError } from '../commands/dependency-error';
import {
  idempotencyField,
  type GateCoupon,
  type GateSnapshot,
  type StockGate,
} from '../commands/stock-gate-port';
import { createRedisClient } from '../infra/redis/redis-client';
import { RedisStockGate } from '../infra/redis/redis-stock-gate';
import { closedPort } from './support/esdb/contract-adapters';
import {
  GATE_KEYS,
  InMemoryStockGate,
  type GateKey,
  type RawCouponKeys,
} from './support/in-memory/in-memory-stock-gate';
import { createTestEnv } from './support/test-env';

/**
 * The StockGate port's contract, written once and run against every adapter: the Redis gate and the in-memory gate
 * the unit specs use. Beside what every gate does (refusals, limits, releases, returns, revisions, no overselling),
 * it holds the promises about damage: a coupon missing any of its five keys sells nothing and refuses writes until a
 * recovery loads it, and the recovery protocol (leases, the wait for appends in flight, what a load keeps).
 */

/** One adapter of the StockGate port, opened for the contract suite. */
interface GateUnderTest {
  readonly gate: StockGate;
  /** Loses one key of a coupon, as Redis does on an eviction or a failover (for Redis: a `DEL` of it). */
  lose(couponId: string, key: GateKey): Promise<void>;
  /** The coupon's keys as Redis holds them (null: the key does not exist); compared to prove nothing was written. */
  raw(couponId: string): Promise<RawCouponKeys>;
  /** Names of the coupon's keys that exist. */
  keyNames(couponId: string): Promise<string[]>;
  /** The Redis Cluster hash slot of a key, null where there are no slots (a standalone server, memory). */
  keySlot(key: string): Promise<number | null>;
  /** The same adapter, unable to reach its storage. */
  openUnreachable(): Promise<StockGate>;
  close(): Promise<void>;
}

interface GateAdapterFactory {
  readonly name: string;
  open(): Promise<GateUnderTest>;
}

const rawOfRedis = async (redis: Redis, prefix: string, couponId: string): Promise<RawCouponKeys> => {
  const key = (name: GateKey) => `${prefix}:{${couponId}}:${name}`;
  const hash = async (name: GateKey) => {
    const value = await redis.hgetall(key(name));
    return Object.keys(value).length === 0 ? null : value;
  };
  const scores = await redis.zrange(key('pending'), '0', '-1', 'WITHSCORES');
  const pending: Record<string, string> = {};
  for (let i = 0; i < scores.length; i += 2) pending[String(scores[i])] = String(scores[i + 1]);
  return {
    meta: await hash('meta'),
    buyers: await hash('buyers'),
    idem: await hash('idem'),
    pending: scores.length === 0 ? null : pending,
    reservations: await hash('reservations'),
  };
};

const redisGate: GateAdapterFactory = {
  name: 'Redis gate',
  open: async () => {
    const env = createTestEnv();
    const redis = createRedisClient({ url: env.config.redis.url, commandTimeoutMs: 2000 });
    await redis.connect();
    const unreachable: Redis[] = [];
    const prefix = env.keyPrefix;
    return {
      gate: new RedisStockGate(redis, prefix),
      lose: async (couponId, key) => {
        await redis.del(`${prefix}:{${couponId}}:${key}`);
      },
      raw: (couponId) => rawOfRedis(redis, prefix, couponId),
      keyNames: (couponId) => redis.keys(`${prefix}:{${couponId}}:*`),
      keySlot: async (key) => {
        const slot = await redis.call('CLUSTER', 'KEYSLOT', key).catch(() => null);
        return typeof slot === 'number' ? slot : null;
      },
      openUnreachable: async () => {
        // Nothing listens there. Fails fast as createRedisClient's clients do (no offline queue), without retrying
        // the connection or holding a 2 s disconnect timer open after the suite.
        const client = new Redis(`redis://127.0.0.1:${await closedPort()}`, {
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          commandTimeout: 500,
          retryStrategy: () => null,
          disconnectTimeout: 0,
        });
        client.on('error', () => undefined);
        unreachable.push(client);
        return new RedisStockGate(client, prefix);
      },
      close: async () => {
        for (const client of unreachable) client.disconnect();
        await redis.quit();
        await env.cleanup();
      },
    };
  },
};

const inMemoryGate: GateAdapterFactory = {
  name: 'in-memory gate',
  open: () => {
    const gate = new InMemoryStockGate('contract');
    return Promise.resolve({
      gate,
      lose: (couponId, key) => Promise.resolve(gate.lose(couponId, key)),
      raw: (couponId) => Promise.resolve(gate.raw(couponId)),
      keyNames: (couponId) => Promise.resolve(gate.keyNames(couponId)),
      keySlot: () => Promise.resolve(null),
      openUnreachable: () => {
        const other = new InMemoryStockGate('contract');
        other.setReachable(false);
        return Promise.resolve(other);
      },
      close: () => Promise.resolve(),
    });
  },
};

const LEASE_MS = 10_000;
const IN_FLIGHT_MS = 3_000;

const contract = (factory: GateAdapterFactory): void => {
  let sut: GateUnderTest;
  let gate: StockGate;
  const now = Date.now();

  const coupon = (overrides: Partial<GateCoupon> = {}): GateCoupon => ({
    couponId: randomUUID(),
    revision: 0n,
    totalStock: 3,
    perUserLimit: 1,
    minAccountAgeSeconds: 0,
    saleStartsAtMs: now - 60_000,
    saleEndsAtMs: now + 60_000,
    closed: false,
    couponType: 'SECKILL',
    deactivated: false,
    minSpendCents: 0,
    validDays: null,
    validUntilMs: null,
    ...overrides,
  });
  const reserve = (c: GateCoupon, userId: string, idempotencyKey: string | null = null, nowMs = now) =>
    gate.reserve({
      couponId: c.couponId,
      userId,
      orderId: randomUUID(),
      idempotencyKey,
      nowMs,
      registeredAtMs: null,
    });
  const reserveAs = (c: GateCoupon, userId: string, orderId: string, idempotencyKey: string | null = null) =>
    gate.reserve({ couponId: c.couponId, userId, orderId, idempotencyKey, nowMs: now, registeredAtMs: null });
  const snapshotOf = (
    c: GateCoupon,
    buyers: Record<string, string[]>,
    idempotencyKeys: Record<string, string> = {},
  ): GateSnapshot => ({
    coupon: c,
    sold: Object.values(buyers).reduce((n, orders) => n + orders.length, 0),
    buyers: new Map(Object.entries(buyers)),
    idempotencyKeys: new Map(Object.entries(idempotencyKeys)),
    reservationPriorityMs: 0,
  });
  const buyersOf = async (c: GateCoupon) =>
    Object.fromEntries(
      [...((await gate.state(c.couponId))?.buyers ?? [])].map(([u, o]) => [u, [...o].sort()]),
    );

  beforeAll(async () => {
    sut = await factory.open();
    gate = sut.gate;
  });
  afterAll(async () => {
    await sut.close();
  });

  it('keeps every key of a coupon in one hash slot', async () => {
    const c = coupon();
    await gate.createCoupon(c);
    await reserve(c, 'u1', 'k1');
    const keys = await sut.keyNames(c.couponId);
    expect(keys.length).toBeGreaterThanOrEqual(4);
    const slots = await Promise.all(keys.map((k) => sut.keySlot(k)));
    if (slots.every((s) => s !== null)) expect(new Set(slots).size).toBe(1);
    for (const key of keys) expect(key).toContain(`{${c.couponId}}`);
  });

  it('sells each coupon only to its own route, and answers its order terms with the reservation', async () => {
    const regular = coupon({ couponType: 'REGULAR', minSpendCents: 2500, validDays: 30 });
    const flash = coupon({ validUntilMs: Date.parse('2031-01-01T00:00:00.000Z') });
    await gate.createCoupon(regular);
    await gate.createCoupon(flash);
    const as = (c: GateCoupon, couponType: 'SECKILL' | 'REGULAR', userId: string) =>
      gate.reserve({
        couponId: c.couponId,
        couponType,
        userId,
        orderId: randomUUID(),
        idempotencyKey: null,
        nowMs: now,
        registeredAtMs: null,
      });
    expect(await as(regular, 'SECKILL', 'u')).toEqual({
      kind: 'refused',
      reason: 'NOT_A_SECKILL_COUPON',
      orderIds: [],
    });
    expect(await as(flash, 'REGULAR', 'u')).toMatchObject({
      kind: 'refused',
      reason: 'NOT_A_REGULAR_COUPON',
    });
    expect(await as(regular, 'REGULAR', 'u')).toEqual({
      kind: 'reserved',
      terms: { couponType: 'REGULAR', minSpendCents: 2500, validDays: 30, validUntil: null },
    });
    expect(await as(flash, 'SECKILL', 'u')).toEqual({
      kind: 'reserved',
      terms: {
        couponType: 'SECKILL',
        minSpendCents: 0,
        validDays: null,
        validUntil: '2031-01-01T00:00:00.000Z',
      },
    });
    expect((await gate.state(regular.couponId))?.rules).toEqual({
      couponType: 'REGULAR',
      deactivated: false,
      saleStartsAtMs: regular.saleStartsAtMs,
      saleEndsAtMs: regular.saleEndsAtMs,
      minSpendCents: 2500,
      validDays: 30,
      validUntilMs: null,
    });
  });

  it('refuses a deactivated coupon until a newer revision reactivates it, taking nothing', async () => {
    const c = coupon({ deactivated: true });
    await gate.createCoupon(c);
    expect(await reserve(c, 'u')).toEqual({ kind: 'refused', reason: 'COUPON_INACTIVE', orderIds: [] });
    expect(await gate.state(c.couponId)).toMatchObject({ sold: 0, rules: { deactivated: true } });
    expect(await gate.applyCoupon({ ...c, revision: 1n, deactivated: false })).toBe('applied');
    expect(await reserve(c, 'u')).toMatchObject({ kind: 'reserved' });
    expect(await gate.applyCoupon({ ...c, revision: 2n, deactivated: true })).toBe('applied');
    expect(await reserve(c, 'v')).toMatchObject({ kind: 'refused', reason: 'COUPON_INACTIVE' });
  });

  it('refuses once the fixed validUntil has passed, and follows a moved window', async () => {
    const c = coupon({ validUntilMs: now });
    await gate.createCoupon(c);
    expect(await reserve(c, 'u', null, now - 1)).toMatchObject({ kind: 'reserved' });
    expect(await reserve(c, 'v')).toEqual({ kind: 'refused', reason: 'COUPON_EXPIRED', orderIds: [] });
    const moved = coupon({ saleStartsAtMs: now + 60_000, saleEndsAtMs: now + 120_000 });
    await gate.createCoupon(moved);
    expect(await reserve(moved, 'u')).toMatchObject({ kind: 'refused', reason: 'SALE_NOT_STARTED' });
    expect(
      await gate.applyCoupon({
        ...moved,
        revision: 1n,
        saleStartsAtMs: now - 1000,
        saleEndsAtMs: now + 1000,
      }),
    ).toBe('applied');
    expect(await reserve(moved, 'u')).toMatchObject({ kind: 'reserved' });
  });

  it("refuses accounts younger than the coupon's minimum age, and those of unknown age", async () => {
    const c = coupon({ totalStock: 5, minAccountAgeSeconds: 60 });
    await gate.createCoupon(c);
    const asRegistered = (userId: string, registeredAtMs: number | null) =>
      gate.reserve({
        couponId: c.couponId,
        userId,
        orderId: randomUUID(),
        idempotencyKey: null,
        nowMs: now,
        registeredAtMs,
      });
    expect(await asRegistered('new', now - 59_999)).toMatchObject({
      kind: 'refused',
      reason: 'ACCOUNT_TOO_NEW',
    });
    expect(await asRegistered('unknown', null)).toMatchObject({ kind: 'refused', reason: 'ACCOUNT_TOO_NEW' });
    expect(await asRegistered('aged', now - 60_000)).toMatchObject({ kind: 'reserved' });
    expect((await gate.state(c.couponId))?.minAccountAgeSeconds).toBe(60);
    // A coupon without the rule takes any account, and a newer revision may add the rule.
    const open = coupon({ totalStock: 5 });
    await gate.createCoupon(open);
    expect(await reserve(open, 'new')).toMatchObject({ kind: 'reserved' });
    expect(await gate.applyCoupon({ ...open, revision: 1n, minAccountAgeSeconds: 3600 })).toBe('applied');
    expect(await reserve(open, 'newer')).toMatchObject({ kind: 'refused', reason: 'ACCOUNT_TOO_NEW' });
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
    expect(await reserve(c, 'u1')).toMatchObject({ kind: 'reserved' });
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
        registeredAtMs: null,
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
    await gate.reserve({
      couponId: c.couponId,
      userId: 'u',
      orderId: o1,
      idempotencyKey: 'k1',
      nowMs: now,
      registeredAtMs: null,
    });
    expect(
      await gate.reserve({
        couponId: c.couponId,
        userId: 'u',
        orderId: randomUUID(),
        idempotencyKey: 'k1',
        nowMs: now,
        registeredAtMs: null,
      }),
    ).toEqual({
      kind: 'replayed',
      orderId: o1,
    });
    await gate.reserve({
      couponId: c.couponId,
      userId: 'u',
      orderId: o2,
      idempotencyKey: null,
      nowMs: now,
      registeredAtMs: null,
    });
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
      registeredAtMs: null,
    });
    await gate.reserve({
      couponId: c.couponId,
      userId: 'b',
      orderId: lost,
      idempotencyKey: 'kb',
      nowMs: now,
      registeredAtMs: null,
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
    await gate.reserve({
      couponId: c.couponId,
      userId: 'a',
      orderId,
      idempotencyKey: null,
      nowMs: now,
      registeredAtMs: null,
    });
    await gate.confirm(c.couponId, [orderId]);
    expect(await gate.returnUnit(c.couponId, orderId, 'a')).toBe('returned');
    expect(await gate.returnUnit(c.couponId, orderId, 'a')).toBe('not_live');
    expect(await reserve(c, 'a')).toMatchObject({ kind: 'reserved' });
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

  it('lists pending reservations oldest first, with their buyers, up to the limit and the cutoff', async () => {
    const c = coupon({ totalStock: 10, perUserLimit: 5 });
    await gate.createCoupon(c);
    for (const [orderId, userId, at] of [
      ['o-3', 'u3', now - 10],
      ['o-1', 'u1', now - 30],
      ['o-2', 'u2', now - 20],
      ['o-young', 'u4', now],
    ] as const)
      await gate.reserve({
        couponId: c.couponId,
        userId,
        orderId,
        idempotencyKey: null,
        nowMs: at,
        registeredAtMs: null,
      });
    expect(await gate.pendingOlderThan(c.couponId, now - 1, 2)).toEqual([
      { couponId: c.couponId, orderId: 'o-1', userId: 'u1', reservedAtMs: now - 30 },
      { couponId: c.couponId, orderId: 'o-2', userId: 'u2', reservedAtMs: now - 20 },
    ]);
    expect((await gate.pendingOlderThan(c.couponId, now - 1, 10)).map((p) => p.orderId)).toEqual([
      'o-1',
      'o-2',
      'o-3',
    ]);
    expect(await gate.pendingOlderThan(randomUUID(), now, 10)).toEqual([]);
  });

  it('holds a whole coupon even when everything was released and returned (empty is not lost)', async () => {
    const c = coupon({ totalStock: 2 });
    await gate.createCoupon(c);
    await reserveAs(c, 'a', 'o-a', 'ka');
    expect(await gate.release(c.couponId, 'o-a')).toBe('released');
    await reserveAs(c, 'b', 'o-b');
    await gate.confirm(c.couponId, ['o-b']);
    expect(await gate.returnUnit(c.couponId, 'o-b', 'b')).toBe('returned');
    expect((await sut.keyNames(c.couponId)).length).toBe(5);
    expect(await reserve(c, 'c')).toMatchObject({ kind: 'reserved' });
  });

  it('lays its keys out as the Redis gate does, a sentinel in each', async () => {
    const c = coupon({ revision: 4n, totalStock: 7, perUserLimit: 2 });
    expect(await gate.createCoupon(c)).toBe('created');
    await reserveAs(c, 'u1', 'o-1', 'k1');
    expect(await sut.raw(c.couponId)).toEqual({
      meta: {
        status: 'active',
        rev: '4',
        total: '7',
        limit: '2',
        start: String(c.saleStartsAtMs),
        end: String(c.saleEndsAtMs),
        minage: '0',
        type: 'SECKILL',
        inactive: '0',
        minspend: '0',
        vdays: '',
        vuntil: '',
        sold: '1',
      },
      buyers: { '~': '1', u1: 'o-1' },
      idem: { '~': '1', [idempotencyField('u1', 'k1')]: 'o-1' },
      pending: { '~': 'inf', 'o-1': String(now) },
      reservations: { '~': '1', 'o-1': 'u1\nk1' },
    });
  });

  describe('damage', () => {
    /** A coupon with one live order (u-live) and one pending reservation (u-pending, with an idempotency key). */
    const soldCoupon = async () => {
      const c = coupon({ totalStock: 3, perUserLimit: 2 });
      await gate.createCoupon(c);
      await reserveAs(c, 'u-live', 'o-live');
      await gate.confirm(c.couponId, ['o-live']);
      await reserveAs(c, 'u-pending', 'o-pending', 'k-pending');
      return c;
    };

    it.each(GATE_KEYS)(
      'a coupon that lost its %s key answers damaged to reserve and refuses every write, writing nothing',
      async (key) => {
        const c = await soldCoupon();
        await sut.lose(c.couponId, key);
        const before = await sut.raw(c.couponId);
        expect(before[key]).toBeNull();

        expect(await reserve(c, 'u-new')).toEqual({ kind: 'damaged' });
        // Not even a replay: the idempotency keys may be the very thing that was lost.
        expect(await reserve(c, 'u-pending', 'k-pending')).toEqual({ kind: 'damaged' });
        expect(await gate.applyCoupon({ ...c, revision: 9n, totalStock: 100 })).toBe('damaged');
        expect(await gate.release(c.couponId, 'o-pending')).toBe('damaged');
        expect(await gate.returnUnit(c.couponId, 'o-live', 'u-live')).toBe('damaged');
        expect(await gate.createCoupon({ ...c, totalStock: 100 })).toBe('exists');
        // Nothing to settle either: a lost `reservations` hash would name no buyer for the reconciler's fence.
        expect(await gate.pendingOlderThan(c.couponId, Date.now() + 60_000, 10)).toEqual([]);

        expect(await sut.raw(c.couponId)).toEqual(before);
        if (key === 'meta') expect(await gate.state(c.couponId)).toBeNull();
        else expect(await gate.state(c.couponId)).toMatchObject({ totalStock: 3, sold: 2 });
      },
    );

    it('a coupon with no key at all is an unknown coupon, and writes to it create nothing', async () => {
      const c = coupon();
      expect(await reserve(c, 'u')).toEqual({ kind: 'unknown_coupon' });
      expect(await gate.applyCoupon(c)).toBe('damaged');
      expect(await gate.release(c.couponId, 'o')).toBe('damaged');
      expect(await gate.returnUnit(c.couponId, 'o', 'u')).toBe('damaged');
      expect(await sut.keyNames(c.couponId)).toEqual([]);
      expect(await gate.state(c.couponId)).toBeNull();

      const sold = await soldCoupon();
      for (const key of GATE_KEYS) await sut.lose(sold.couponId, key);
      expect(await reserve(sold, 'u')).toEqual({ kind: 'unknown_coupon' });
    });

    it('creates a coupon only when none of its keys exists, with nothing sold', async () => {
      const c = coupon({ totalStock: 5 });
      expect(await gate.createCoupon(c)).toBe('created');
      expect(await gate.state(c.couponId)).toEqual({
        couponId: c.couponId,
        totalStock: 5,
        minAccountAgeSeconds: 0,
        rules: {
          couponType: 'SECKILL',
          deactivated: false,
          saleStartsAtMs: c.saleStartsAtMs,
          saleEndsAtMs: c.saleEndsAtMs,
          minSpendCents: 0,
          validDays: null,
          validUntilMs: null,
        },
        sold: 0,
        buyers: new Map(),
        idempotencyKeys: new Map(),
      });
      expect(await gate.couponIds()).toContain(c.couponId);
      await reserve(c, 'u');
      const before = await sut.raw(c.couponId);
      expect(await gate.createCoupon({ ...c, revision: 3n, totalStock: 50 })).toBe('exists');
      expect(await sut.raw(c.couponId)).toEqual(before);
    });

    it.each(GATE_KEYS)('does not create a coupon of which only the %s key is left', async (kept) => {
      const c = await soldCoupon();
      for (const key of GATE_KEYS) if (key !== kept) await sut.lose(c.couponId, key);
      const before = await sut.raw(c.couponId);
      expect(await gate.createCoupon(c)).toBe('exists');
      expect(await sut.raw(c.couponId)).toEqual(before);
      expect(await reserve(c, 'u-new')).toEqual({ kind: 'damaged' });
    });
  });

  describe('recovery', () => {
    const begin = (c: GateCoupon, owner: string, at = now, lease = at + LEASE_MS, inFlight = IN_FLIGHT_MS) =>
      gate.beginRecovery(c.couponId, owner, at, lease, inFlight);

    it('stops sales under a lease that another owner cannot take until it ends or is released', async () => {
      const c = coupon({ totalStock: 5 });
      await gate.createCoupon(c);
      await reserveAs(c, 'u1', 'o-1');
      expect(await begin(c, 'A')).toEqual({ kind: 'began', waitUntilMs: 0 });
      expect(await reserve(c, 'u2')).toEqual({ kind: 'rebuilding', leaseExpiresAtMs: now + LEASE_MS });
      expect(await gate.pendingOlderThan(c.couponId, now, 10)).toEqual([]);
      // A refusal names the holder (a topology switch counts a coupon another switch fenced as fenced).
      expect(await begin(c, 'B', now + 1)).toEqual({ kind: 'busy', holder: 'A' });
      // The same owner may begin again (a retried pass), renewing its lease.
      expect(await begin(c, 'A', now + 2)).toEqual({ kind: 'began', waitUntilMs: 0 });
      // A lease that ran out is taken over.
      expect(await begin(c, 'B', now + 2 + LEASE_MS + 1)).toEqual({ kind: 'began', waitUntilMs: 0 });
      expect(await begin(c, 'A', now + 2 + LEASE_MS + 2)).toEqual({ kind: 'busy', holder: 'B' });
      // Only the holder can give a lease up; once given up, anyone may begin at once.
      await gate.releaseRecovery(c.couponId, 'A');
      expect(await begin(c, 'C', now + 2 + LEASE_MS + 3)).toEqual({ kind: 'busy', holder: 'B' });
      await gate.releaseRecovery(c.couponId, 'B');
      expect(await begin(c, 'C', now + 2 + LEASE_MS + 4)).toMatchObject({ kind: 'began' });
      // Sales stay stopped after a lease is given up.
      expect(await reserve(c, 'u2')).toMatchObject({ kind: 'rebuilding' });
    });

    it.each(['pending', 'reservations'] as const)(
      'after losing %s, waits for appends in flight, and a takeover keeps that wait',
      async (key) => {
        const c = coupon();
        await gate.createCoupon(c);
        await reserveAs(c, 'u1', 'o-1');
        await sut.lose(c.couponId, key);
        expect(await begin(c, 'A')).toEqual({ kind: 'began', waitUntilMs: now + IN_FLIGHT_MS });
        expect((await sut.keyNames(c.couponId)).length).toBe(5);
        expect(await begin(c, 'B', now + LEASE_MS + 1, now + 2 * LEASE_MS, 0)).toEqual({
          kind: 'began',
          waitUntilMs: now + IN_FLIGHT_MS,
        });
      },
    );

    it.each(['meta', 'buyers', 'idem'] as const)(
      'after losing %s, recreates the keys without waiting (no reservation was lost)',
      async (key) => {
        const c = coupon();
        await gate.createCoupon(c);
        await reserveAs(c, 'u1', 'o-1');
        await sut.lose(c.couponId, key);
        expect(await begin(c, 'A')).toEqual({ kind: 'began', waitUntilMs: 0 });
        expect((await sut.keyNames(c.couponId)).length).toBe(5);
        expect(await reserve(c, 'u2')).toMatchObject({ kind: 'rebuilding' });
      },
    );

    it('recovers a coupon the gate lost whole, waiting for appends in flight', async () => {
      const c = coupon();
      expect(await begin(c, 'A')).toEqual({ kind: 'began', waitUntilMs: now + IN_FLIGHT_MS });
      expect(await reserve(c, 'u')).toMatchObject({ kind: 'rebuilding' });
      expect(await gate.loadRecovered(snapshotOf(c, { u0: ['o-0'] }), 'A')).toBe(true);
      expect(await gate.state(c.couponId)).toMatchObject({ totalStock: 3, sold: 1 });
      expect(await reserve(c, 'u')).toMatchObject({ kind: 'reserved' });
    });

    it('loads the derived state, keeps reservations still pending and reopens sales', async () => {
      const c = coupon({ totalStock: 5, perUserLimit: 2 });
      await gate.createCoupon(c);
      await reserveAs(c, 'u1', 'o-1', 'k1');
      await gate.confirm(c.couponId, ['o-1']);
      await reserveAs(c, 'u2', 'o-2', 'k2');
      await sut.lose(c.couponId, 'buyers');
      expect(await begin(c, 'A')).toEqual({ kind: 'began', waitUntilMs: 0 });
      // Applied meanwhile: kept for after the recovery, the snapshot's settings win.
      expect(await gate.applyCoupon({ ...c, revision: 1n, totalStock: 9 })).toBe('applied');
      expect(await reserve(c, 'u3')).toMatchObject({ kind: 'rebuilding' });

      // The event store holds o-1 only: o-2's append may still land.
      const derived = { ...c, revision: 2n, totalStock: 6 };
      const snapshot = snapshotOf(derived, { u1: ['o-1'] }, { [idempotencyField('u1', 'k1')]: 'o-1' });
      expect(await gate.loadRecovered(snapshot, 'A')).toBe(true);
      expect(await gate.state(c.couponId)).toEqual({
        couponId: c.couponId,
        totalStock: 6,
        minAccountAgeSeconds: 0,
        rules: expect.objectContaining({ couponType: 'SECKILL', deactivated: false }),
        sold: 2,
        buyers: new Map([
          ['u1', ['o-1']],
          ['u2', ['o-2']],
        ]),
        idempotencyKeys: new Map([
          [idempotencyField('u1', 'k1'), 'o-1'],
          [idempotencyField('u2', 'k2'), 'o-2'],
        ]),
      });
      expect(await gate.pendingOlderThan(c.couponId, now, 10)).toEqual([
        { couponId: c.couponId, orderId: 'o-2', userId: 'u2', reservedAtMs: now },
      ]);
      expect(await reserve(c, 'u2', 'k2')).toEqual({ kind: 'replayed', orderId: 'o-2' });
      expect(await reserve(c, 'u3')).toMatchObject({ kind: 'reserved' });
      expect(await gate.applyCoupon({ ...c, revision: 2n, totalStock: 1 })).toBe('stale');
    });

    it('does not count a pending reservation twice when its order is in the snapshot too', async () => {
      const c = coupon({ totalStock: 5 });
      await gate.createCoupon(c);
      await reserveAs(c, 'u1', 'o-1', 'k1');
      expect(await begin(c, 'A')).toMatchObject({ kind: 'began' });
      expect(
        await gate.loadRecovered(
          snapshotOf(c, { u1: ['o-1'] }, { [idempotencyField('u1', 'k1')]: 'o-1' }),
          'A',
        ),
      ).toBe(true);
      expect(await gate.state(c.couponId)).toMatchObject({ sold: 1 });
      expect(await buyersOf(c)).toEqual({ u1: ['o-1'] });
    });

    it('applies units returned during the recovery, even when the snapshot was read before the return', async () => {
      const c = coupon({ totalStock: 2 });
      await gate.createCoupon(c);
      for (const [userId, orderId] of [
        ['u1', 'o-1'],
        ['u2', 'o-2'],
      ] as const) {
        await reserveAs(c, userId, orderId);
        await gate.confirm(c.couponId, [orderId]);
      }
      expect(await begin(c, 'A')).toMatchObject({ kind: 'began' });
      expect(await gate.returnUnit(c.couponId, 'o-1', 'u1')).toBe('returned');
      // Read from the event store before the cancellation was stored: o-1 still live.
      expect(await gate.loadRecovered(snapshotOf(c, { u1: ['o-1'], u2: ['o-2'] }), 'A')).toBe(true);
      expect(await gate.state(c.couponId)).toMatchObject({ sold: 1 });
      expect(await buyersOf(c)).toEqual({ u2: ['o-2'] });
      expect(await reserve(c, 'u3')).toMatchObject({ kind: 'reserved' });
      expect(await reserve(c, 'u4')).toMatchObject({ kind: 'refused', reason: 'SOLD_OUT' });
    });

    it('keeps a recovered coupon closed', async () => {
      const c = coupon();
      await gate.createCoupon(c);
      expect(await begin(c, 'A')).toMatchObject({ kind: 'began' });
      expect(await gate.loadRecovered(snapshotOf({ ...c, revision: 1n, closed: true }, {}), 'A')).toBe(true);
      expect(await reserve(c, 'u')).toMatchObject({ kind: 'refused', reason: 'COUPON_CLOSED' });
    });

    it('refuses the load of an owner that does not hold the lease, changing nothing', async () => {
      const c = coupon();
      await gate.createCoupon(c);
      await reserveAs(c, 'u1', 'o-1');
      const snapshot = snapshotOf(c, { u9: ['o-9'] });
      // Not being recovered at all.
      expect(await gate.loadRecovered(snapshot, 'A')).toBe(false);
      expect(await reserve(c, 'u2')).toMatchObject({ kind: 'reserved' });

      expect(await begin(c, 'A')).toMatchObject({ kind: 'began' });
      const before = await sut.raw(c.couponId);
      expect(await gate.loadRecovered(snapshot, 'B')).toBe(false);
      expect(await sut.raw(c.couponId)).toEqual(before);

      // A's lease ran out and B took over: A's late load is refused, B's is taken.
      expect(await begin(c, 'B', now + LEASE_MS + 1)).toMatchObject({ kind: 'began' });
      expect(await gate.loadRecovered(snapshot, 'A')).toBe(false);
      expect(await reserve(c, 'u3')).toMatchObject({ kind: 'rebuilding' });
      expect(await gate.loadRecovered(snapshot, 'B')).toBe(true);
      expect(await buyersOf(c)).toEqual({ u1: ['o-1'], u2: expect.any(Array), u9: ['o-9'] });
    });
  });

  it('finds coupons by its registry and by their keys, and forgets one whole', async () => {
    const c = coupon();
    await gate.createCoupon(c);
    expect(await gate.couponIds()).toContain(c.couponId);
    expect(await gate.scanCouponIds()).toContain(c.couponId);
    await sut.lose(c.couponId, 'meta');
    expect(await gate.scanCouponIds()).toContain(c.couponId);
    await gate.forget(c.couponId);
    expect(await gate.couponIds()).not.toContain(c.couponId);
    expect(await gate.scanCouponIds()).not.toContain(c.couponId);
    expect(await sut.keyNames(c.couponId)).toEqual([]);
  });

  it('is initialised only once marked so', async () => {
    expect(await gate.isInitialised()).toBe(false);
    await gate.markInitialised();
    expect(await gate.isInitialised()).toBe(true);
  });

  it('reports an unreachable gate as a DependencyUnavailableError', async () => {
    const unreachable = await sut.openUnreachable();
    const c = coupon();
    const unavailable = expect.any(DependencyUnavailableError);
    const calls: (() => Promise<unknown>)[] = [
      () => unreachable.ping(),
      () =>
        unreachable.reserve({
          couponId: c.couponId,
          userId: 'u',
          orderId: 'o',
          idempotencyKey: null,
          nowMs: now,
          registeredAtMs: null,
        }),
      () => unreachable.release(c.couponId, 'o'),
      () => unreachable.confirm(c.couponId, ['o']),
      () => unreachable.returnUnit(c.couponId, 'o', 'u'),
      () => unreachable.createCoupon(c),
      () => unreachable.applyCoupon(c),
      () => unreachable.pendingOlderThan(c.couponId, now, 10),
      () => unreachable.couponIds(),
      () => unreachable.scanCouponIds(),
      () => unreachable.state(c.couponId),
      () => unreachable.isInitialised(),
      () => unreachable.markInitialised(),
      () => unreachable.beginRecovery(c.couponId, 'A', now, now + LEASE_MS, IN_FLIGHT_MS),
      () => unreachable.loadRecovered(snapshotOf(c, {}), 'A'),
      () => unreachable.releaseRecovery(c.couponId, 'A'),
      () => unreachable.forget(c.couponId),
    ];
    for (const call of calls) await expect(call()).rejects.toEqual(unavailable);
  });
};

describe.each([redisGate, inMemoryGate].map((factory) => [factory.name, factory] as const))(
  'StockGate contract: %s',
  (_, factory) => contract(factory),
);
