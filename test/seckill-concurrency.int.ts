import { GateRecovery } from '../commands/gate-recovery';
import { GateSync } from '../commands/gate-sync';
import { ReservationSettlement } from '../commands/reservation-settlement';
import { ReservationReconciler } from '../commands/reservation-reconciler';
import { TOKENS } from '../bin/tokens';
import { request, tokenFor, type JsonResponse } from './support/http-client';
import { startHarness, type Harness } from './support/write-api-harness';

interface OrderPlacedData {
  orderId: string;
  couponId: string;
  userId: string;
}

describe('seckill under a flood of concurrent buyers (real HTTP, Redis, MariaDB)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ COUPONKILL_RECONCILE_GRACE_MS: '600000' });
  });
  afterAll(() => h.close());

  const placedFor = async (couponId: string): Promise<OrderPlacedData[]> =>
    (await h.allEvents())
      .filter((e) => e.type === 'OrderPlaced')
      .map((e) => e.data as OrderPlacedData)
      .filter((d) => d.couponId === couponId);

  it('sells exactly the stock to 2,000 concurrent requests from 1,500 users, each refusal with the right code', async () => {
    const couponId = await h.createCoupon({ totalStock: 500, perUserLimit: 1 });
    // 1,500 distinct users; the first 500 of them click twice.
    const buyers = [
      ...Array.from({ length: 1500 }, (_, i) => `buyer-${i}`),
      ...Array.from({ length: 500 }, (_, i) => `buyer-${i}`),
    ];
    const responses = await Promise.all(
      buyers.map(async (userId) => ({
        userId,
        response: await request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, {
          token: tokenFor(userId),
        }),
      })),
    );

    const won = responses.filter((r) => r.response.status === 201);
    expect(won).toHaveLength(500);
    const refused = responses.filter((r) => r.response.status !== 201);
    expect(refused.every((r) => r.response.status === 409)).toBe(true);

    const placed = await placedFor(couponId);
    expect(placed).toHaveLength(500);
    const winners = new Set(placed.map((p) => p.userId));
    expect(winners.size).toBe(500); // limit 1: nobody holds two

    // Every 2xx has its event, with the position it was told.
    const events = await h.allEvents();
    const positionOf = new Map(
      events
        .filter((e) => e.type === 'OrderPlaced')
        .map((e) => [(e.data as OrderPlacedData).orderId, e.position.toString()]),
    );
    for (const { userId, response } of won) {
      expect(response.body).toMatchObject({ couponId, userId, status: 'PLACED' });
      expect(positionOf.get(String(response.body.orderId))).toBe(response.body.position);
    }
    // A refused buyer who holds an order hit the limit; one who holds none found it sold out.
    for (const { userId, response } of refused) {
      expect(response.body.error?.code).toBe(winners.has(userId) ? 'LIMIT_REACHED' : 'SOLD_OUT');
    }

    const gate = h.api.container.get(TOKENS.StockGate);
    const state = await gate.state(couponId);
    expect(state).toMatchObject({ totalStock: 500, sold: 500 });
    expect(new Set(state?.buyers.keys())).toEqual(winners);

    // Every reservation reached the event store: settling keeps all, releases none.
    const report = await new ReservationReconciler(
      gate,
      h.api.container.get(ReservationSettlement),
      h.api.container.get(GateSync),
      h.api.container.get(GateRecovery),
      { now: () => new Date(Date.now() + 3_600_000) },
      h.api.container.get(TOKENS.Logger),
      { graceMs: 0, intervalMs: 1000, batchSize: 200, couponSyncEvery: 1 },
    ).sweep();
    expect(report).toEqual({ kept: 500, released: 0 });
    expect((await gate.state(couponId))?.sold).toBe(500);
  });

  it('holds one user to the limit when they fire many requests at once, with and without idempotency keys', async () => {
    const couponId = await h.createCoupon({ totalStock: 100, perUserLimit: 3 });
    const token = tokenFor('eager-user');
    const seckill = (headers: Record<string, string> = {}) =>
      request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, { token, headers });

    // Forty clicks carrying one idempotency key make one order at most.
    const keyed: JsonResponse[] = await Promise.all(
      Array.from({ length: 40 }, () => seckill({ 'Idempotency-Key': 'click-1' })),
    );
    expect(keyed.filter((r) => r.status === 201)).toHaveLength(1);
    const keyedOrder = keyed.find((r) => r.status === 201)?.body.orderId;
    for (const r of keyed.filter((x) => x.status !== 201)) {
      if (r.status === 200) expect(r.body.orderId).toBe(keyedOrder);
      else expect([r.status, r.body.error?.code]).toEqual([409, 'SECKILL_IN_PROGRESS']);
    }

    // Forty plain clicks fill the rest of the limit and no more.
    const plain: JsonResponse[] = await Promise.all(Array.from({ length: 40 }, () => seckill()));
    expect(plain.filter((r) => r.status === 201)).toHaveLength(2);
    expect(plain.filter((r) => r.status === 409 && r.body.error?.code === 'LIMIT_REACHED')).toHaveLength(38);

    const placed = await placedFor(couponId);
    expect(placed).toHaveLength(3);
    const again = await seckill({ 'Idempotency-Key': 'click-1' });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.orderId).toBe(keyedOrder);
    const limit = await seckill();
    expect([limit.status, limit.body.error?.code]).toEqual([409, 'LIMIT_REACHED']);
    expect(new Set(limit.body.error?.details?.orderIds as string[])).toEqual(
      new Set(placed.map((p) => p.orderId)),
    );
  });
});
