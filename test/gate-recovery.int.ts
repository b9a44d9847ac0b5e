import { GateSync } from '../commands/gate-sync';
import { idempotencyField, type GateCouponState } from '../commands/stock-gate-port';
import { TOKENS } from '../bin/tokens';
import { createRedisClient } from '../infra/redis/redis-client';
import { deleteKeysMatching } from '../infra/redis/delete-keys-matching';
import { request, tokenFor, type JsonResponse } from './support/http-client';
import { startHarness, type Harness } from './support/write-api-harness';

const KEYS = ['meta', 'buyers', 'idem', 'pending', 'reservations'] as const;
type GateKey = (typeof KEYS)[number];

/** What the gate of a coupon must hold, computed from the event store alone. */
const truthOf = async (h: Harness, couponId: string) => {
  const buyers = new Map<string, string[]>();
  const idempotencyKeys = new Map<string, string>();
  const live = new Map<string, string>();
  for (const e of await h.allEvents()) {
    const d = e.data as {
      couponId?: string;
      orderId?: string;
      userId?: string;
      idempotencyKey?: string | null;
    };
    if (d.couponId !== couponId || !d.orderId) continue;
    if (e.type === 'OrderPlaced') {
      live.set(d.orderId, String(d.userId));
      if (d.idempotencyKey)
        idempotencyKeys.set(idempotencyField(String(d.userId), d.idempotencyKey), d.orderId);
    }
    if (e.type === 'OrderCancelled') live.delete(d.orderId);
  }
  for (const [orderId, userId] of live) buyers.set(userId, [...(buyers.get(userId) ?? []), orderId].sort());
  return { sold: live.size, buyers, idempotencyKeys };
};

const comparable = (state: GateCouponState | null) =>
  state && {
    totalStock: state.totalStock,
    minAccountAgeSeconds: state.minAccountAgeSeconds,
    sold: state.sold,
    buyers: new Map([...state.buyers].map(([user, orders]) => [user, [...orders].sort()])),
    idempotencyKeys: state.idempotencyKeys,
  };

describe('the stock gate after losing a sold-out coupon’s keys (real Redis and MariaDB)', () => {
  let h: Harness;
  let redis: ReturnType<typeof createRedisClient>;
  let round = 0;

  beforeAll(async () => {
    h = await startHarness({
      // Recoveries that lost pending reservations wait this + 2 s for appends in flight.
      COUPONKILL_SECKILL_APPEND_TIMEOUT_MS: '500',
      // Reservations stay pending: the pending keys hold something to lose. The tests drive the reconciler.
      COUPONKILL_RECONCILE_GRACE_MS: '3600000',
      COUPONKILL_RECONCILE_INTERVAL_MS: '3600000',
    });
    redis = createRedisClient({ url: h.env.config.redis.url, commandTimeoutMs: 2000 });
    await redis.connect();
  });
  afterAll(async () => {
    await redis.quit();
    await h.close();
  });

  const keyOf = (couponId: string, key: GateKey) => `${h.env.keyPrefix}:{${couponId}}:${key}`;
  const seckill = (couponId: string, userId: string, idempotencyKey?: string) =>
    request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, {
      token: tokenFor(userId),
      headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {},
    });

  /** A coupon of 3, sold out to three buyers who used idempotency keys; two late buyers refused. */
  const soldOutCoupon = async () => {
    round += 1;
    const couponId = await h.createCoupon({ totalStock: 3, perUserLimit: 1 });
    const winners = [1, 2, 3].map((i) => ({ userId: `r${round}-winner-${i}`, key: `r${round}-key-${i}` }));
    const orders = new Map<string, string>();
    for (const w of winners) {
      const response = await seckill(couponId, w.userId, w.key);
      expect(response.status).toBe(201);
      orders.set(w.userId, String(response.body.orderId));
    }
    for (const late of ['late-a', 'late-b'])
      expect((await seckill(couponId, `r${round}-${late}`)).body.error?.code).toBe('SOLD_OUT');
    return { couponId, winners, orders };
  };

  /**
   * Concurrent buyers against the damaged coupon until it sells again: new buyers, winners retrying with their key,
   * winners without one. Nothing may be sold; each answer is a refusal, a replay of the buyer's own order, or 503
   * GATE_RECOVERING while the coupon is recovered.
   */
  const storm = async (sale: Awaited<ReturnType<typeof soldOutCoupon>>) => {
    const answers: JsonResponse[] = [];
    for (let wave = 0; wave < 40; wave++) {
      const responses = await Promise.all([
        ...Array.from({ length: 30 }, (_, i) => seckill(sale.couponId, `r${round}-w${wave}-buyer-${i}`)),
        ...sale.winners.map((w) => seckill(sale.couponId, w.userId, w.key)),
        ...sale.winners.map((w) => seckill(sale.couponId, w.userId)),
      ]);
      answers.push(...responses);
      for (const [i, response] of responses.entries()) {
        const winner = sale.winners[(i - 30) % 3];
        if (response.status === 503) expect(response.body.error?.code).toBe('GATE_RECOVERING');
        else if (i < 30) expect([response.status, response.body.error?.code]).toEqual([409, 'SOLD_OUT']);
        else if (i < 33) {
          expect(response.status).toBe(200);
          expect(response.body.orderId).toBe(sale.orders.get(String(winner?.userId)));
        } else expect([response.status, response.body.error?.code]).toEqual([409, 'LIMIT_REACHED']);
      }
      if (responses.every((r) => r.status !== 503)) return answers;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('the coupon never sold again');
  };

  const expectExactlyTheEventStore = async (couponId: string) => {
    const truth = await truthOf(h, couponId);
    expect(truth.sold).toBe(3);
    expect(comparable(await h.api.container.get(TOKENS.StockGate).state(couponId))).toEqual({
      totalStock: 3,
      minAccountAgeSeconds: 0,
      ...truth,
    });
  };

  /** After recovery the coupon still sells exactly what a cancellation returns. */
  const expectSellingOn = async (sale: Awaited<ReturnType<typeof soldOutCoupon>>) => {
    const [first] = sale.winners;
    const cancelled = await request(
      h.api.url,
      'POST',
      `/api/v1/orders/${String(sale.orders.get(first!.userId))}/cancel`,
      {
        token: tokenFor(first!.userId),
      },
    );
    expect(cancelled.status).toBe(200);
    const again = await Promise.all(
      Array.from({ length: 10 }, (_, i) => seckill(sale.couponId, `r${round}-after-${i}`)),
    );
    expect(again.filter((r) => r.status === 201)).toHaveLength(1);
    expect((await truthOf(h, sale.couponId)).sold).toBe(3);
  };

  it.each([...KEYS.map((key) => [[key]] as [GateKey[]]), [[...KEYS]]])(
    'loses %j under concurrent buyers: sells nothing until recovered, then holds exactly the event store',
    async (lost) => {
      const sale = await soldOutCoupon();
      await redis.del(...lost.map((key) => keyOf(sale.couponId, key)));
      const answers = await storm(sale);
      expect(answers.some((r) => r.status === 201)).toBe(false);
      await expectExactlyTheEventStore(sale.couponId);
      await expectSellingOn(sale);
    },
  );

  it('loses its keys in the middle of a sale, with appends in flight: never sells more than the stock', async () => {
    round += 1;
    const couponId = await h.createCoupon({ totalStock: 40, perUserLimit: 1 });
    const buyers = Array.from({ length: 400 }, (_, i) => `r${round}-rush-${i}`);
    const sale = Promise.all(
      buyers.map(async (userId, i) => {
        await new Promise((r) => setTimeout(r, i % 50));
        return seckill(couponId, userId);
      }),
    );
    await new Promise((r) => setTimeout(r, 15));
    await redis.del(...KEYS.map((key) => keyOf(couponId, key)));
    const answers = await sale;
    // 503s only: paused while recovering, or an append that reached this test's short deadline in the queue (not
    // stored, an overload), or one that failed once sent.
    for (const response of answers)
      if (response.status >= 500)
        expect(['GATE_RECOVERING', 'OVERLOADED', 'DEPENDENCY_UNAVAILABLE']).toContain(
          response.body.error?.code,
        );
    // Buy the rest of the stock once the coupon is back, then check the books.
    for (let i = 0; i < 40; i++) {
      const more = await Promise.all(
        Array.from({ length: 20 }, (_, j) => seckill(couponId, `r${round}-second-${i}-${j}`)),
      );
      if (more.every((r) => r.body.error?.code === 'SOLD_OUT')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const truth = await truthOf(h, couponId);
    expect(truth.sold).toBe(40);
    const state = comparable(await h.api.container.get(TOKENS.StockGate).state(couponId));
    expect(state).toEqual({ totalStock: 40, minAccountAgeSeconds: 0, ...truth });
  });

  it('does not resurrect a lost coupon with nothing sold through the reconciler’s coupon sync', async () => {
    const sale = await soldOutCoupon();
    await redis.del(keyOf(sale.couponId, 'meta'));
    // What the periodic sync of the reconciler does for every coupon: it used to recreate meta with sold = 0.
    await h.api.container.get(GateSync).syncCoupon(sale.couponId);
    const answers = await storm(sale);
    expect(answers.some((r) => r.status === 201)).toBe(false);
    await expectExactlyTheEventStore(sale.couponId);
  });

  it('recovers every coupon after Redis lost everything (registry and initialised marker too)', async () => {
    const first = await soldOutCoupon();
    const second = await soldOutCoupon();
    await deleteKeysMatching(h.env.config.redis.url, `${h.env.keyPrefix}:*`);
    const answers = await storm(second);
    expect(answers.some((r) => r.status === 201)).toBe(false);
    await expectExactlyTheEventStore(second.couponId);
    // One pass recovered the whole gate: the other coupon needs no buyer to be whole again.
    await expectExactlyTheEventStore(first.couponId);
    expect(await h.api.container.get(TOKENS.StockGate).isInitialised()).toBe(true);
  });
});
