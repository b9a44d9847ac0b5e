import { TOKENS } from '../bin/tokens';
import { request, tokenFor, type JsonResponse } from './support/http-client';
import { startHarness, type Harness } from './support/write-api-harness';

interface OrderPlacedData {
  orderId: string;
  couponId: string;
  userId: string;
  placedAt: string;
  couponType: string;
  minSpendCents: number;
  validUntil: string | null;
}

const DAY_MS = 86_400_000;

/**
 * Regular coupons and the admin's coupon changes through HTTP, on a real write-api, Redis and MariaDB: claims (limits,
 * idempotency, sold out, a flood of claimers), the type each route sells, and how a window change, a deactivation and
 * a reactivation change what buyers get.
 */
describe('regular claims and coupon changes (real HTTP, Redis, MariaDB)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ COUPONKILL_RECONCILE_GRACE_MS: '600000' });
  });
  afterAll(() => h.close());

  const admin = () => ({ token: h.adminToken });
  const regularCoupon = (overrides: Record<string, unknown> = {}) =>
    h.createCoupon({ couponType: 'REGULAR', saleStartsAt: undefined, saleEndsAt: undefined, ...overrides });
  const claim = (couponId: string, userId: string, headers: Record<string, string> = {}) =>
    request(h.api.url, 'POST', `/api/v1/coupons/${couponId}/claim`, { token: tokenFor(userId), headers });
  const seckill = (couponId: string, userId: string) =>
    request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor(userId) });
  const adminPost = (couponId: string, action: string, body?: unknown) =>
    request(h.api.url, 'POST', `/api/v1/coupons/${couponId}/${action}`, { ...admin(), body });
  const placedFor = async (couponId: string): Promise<OrderPlacedData[]> =>
    (await h.allEvents())
      .filter((e) => e.type === 'OrderPlaced')
      .map((e) => e.data as OrderPlacedData)
      .filter((d) => d.couponId === couponId);
  const codeOf = (r: JsonResponse) => [r.status, r.body.error?.code];

  it('never oversells to 500 concurrent claimers of 100 units: exactly 100 orders in the event store', async () => {
    const couponId = await regularCoupon({
      totalStock: 100,
      perUserLimit: 1,
      validDays: 7,
      minSpendCents: 2000,
    });
    const responses = await Promise.all(
      Array.from({ length: 500 }, (_, i) => claim(couponId, `claimer-${i}`)),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(100);
    expect(responses.filter((r) => r.status !== 201).every((r) => r.body.error?.code === 'SOLD_OUT')).toBe(
      true,
    );
    const placed = await placedFor(couponId);
    expect(placed).toHaveLength(100);
    expect(new Set(placed.map((p) => p.userId)).size).toBe(100);
    // Each order carries the coupon's terms, its validity fixed from its own placement.
    for (const p of placed)
      expect(p).toMatchObject({
        couponType: 'REGULAR',
        minSpendCents: 2000,
        validUntil: new Date(Date.parse(p.placedAt) + 7 * DAY_MS).toISOString(),
      });
    expect(await h.api.container.get(TOKENS.StockGate).state(couponId)).toMatchObject({ sold: 100 });
  });

  it('replays an idempotency key, holds a buyer to the limit, and answers SOLD_OUT when the stock is gone', async () => {
    const couponId = await regularCoupon({
      totalStock: 3,
      perUserLimit: 2,
      validUntil: '2031-06-01T00:00:00Z',
    });
    const first = await claim(couponId, 'keeper', { 'Idempotency-Key': 'claim-1' });
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe(`/api/v1/orders/${String(first.body.orderId)}`);
    const replay = await claim(couponId, 'keeper', { 'Idempotency-Key': 'claim-1' });
    expect([replay.status, replay.headers.get('idempotent-replayed'), replay.body.orderId]).toEqual([
      200,
      'true',
      first.body.orderId,
    ]);
    const second = await claim(couponId, 'keeper');
    expect(second.status).toBe(201);
    const limit = await claim(couponId, 'keeper');
    expect(codeOf(limit)).toEqual([409, 'LIMIT_REACHED']);
    expect(new Set(limit.body.error?.details?.orderIds as string[])).toEqual(
      new Set([first.body.orderId, second.body.orderId]),
    );
    expect((await claim(couponId, 'other-1')).status).toBe(201);
    expect(codeOf(await claim(couponId, 'other-2'))).toEqual([409, 'SOLD_OUT']);
    const placed = await placedFor(couponId);
    expect(placed).toHaveLength(3);
    expect(placed.every((p) => p.validUntil === '2031-06-01T00:00:00.000Z')).toBe(true);
  });

  it('refuses a claim of a SECKILL coupon and a seckill of a REGULAR one, writing nothing', async () => {
    const flash = await h.createCoupon();
    const regular = await regularCoupon();
    const head = await h.api.container.get(TOKENS.EventStore).headPosition();
    expect(codeOf(await claim(flash, 'wrong-way'))).toEqual([409, 'NOT_A_REGULAR_COUPON']);
    expect(codeOf(await seckill(regular, 'wrong-way'))).toEqual([409, 'NOT_A_SECKILL_COUPON']);
    expect(await h.api.container.get(TOKENS.EventStore).headPosition()).toBe(head);
    expect(codeOf(await claim('01900000-0000-7000-8000-000000000bad', 'nobody'))).toEqual([
      404,
      'COUPON_NOT_FOUND',
    ]);
  });

  it('validates the new coupon fields, naming each, and writes nothing', async () => {
    const base = { name: 'Rules', faceValueCents: 100, totalStock: 5 };
    const window = {
      saleStartsAt: '2030-01-01T00:00:00.000Z',
      saleEndsAt: '2030-01-02T00:00:00.000Z',
    };
    const head = await h.api.container.get(TOKENS.EventStore).headPosition();
    const refused: [string, Record<string, unknown>][] = [
      ['saleStartsAt', { ...base, couponType: 'REGULAR', ...window }],
      ['saleStartsAt', { ...base }],
      ['couponType', { ...base, ...window, couponType: 'DAILY' }],
      ['validDays', { ...base, ...window, validDays: 0 }],
      ['validDays', { ...base, ...window, validDays: 3651 }],
      ['validDays', { ...base, ...window, validDays: 1.5 }],
      ['validUntil', { ...base, ...window, validDays: 3, validUntil: '2031-01-01T00:00:00Z' }],
      ['validUntil', { ...base, ...window, validUntil: '2030-01-01T12:00:00Z' }],
      ['validUntil', { ...base, couponType: 'REGULAR', validUntil: '2001-01-01T00:00:00Z' }],
      ['minSpendCents', { ...base, ...window, minSpendCents: -1 }],
      ['minSpendCents', { ...base, ...window, minSpendCents: 0.5 }],
    ];
    for (const [field, body] of refused) {
      const answer = await request(h.api.url, 'POST', '/api/v1/coupons', { ...admin(), body });
      const paths = ((answer.body.error?.details?.issues ?? []) as { path: string }[]).map((i) => i.path);
      expect({
        field,
        status: answer.status,
        code: answer.body.error?.code,
        named: paths.includes(field),
      }).toEqual({
        field,
        status: 400,
        code: 'VALIDATION_FAILED',
        named: true,
      });
    }
    expect(await h.api.container.get(TOKENS.EventStore).headPosition()).toBe(head);
  });

  it('moves a window before it opens: buyers are refused before, served after; refused once open', async () => {
    const couponId = await h.createCoupon({
      saleStartsAt: new Date(Date.now() + 3_600_000).toISOString(),
      saleEndsAt: new Date(Date.now() + 7_200_000).toISOString(),
    });
    expect(codeOf(await seckill(couponId, 'early'))).toEqual([409, 'SALE_NOT_STARTED']);
    const bad = await adminPost(couponId, 'sale-window', {
      saleStartsAt: '2030-01-02T00:00:00Z',
      saleEndsAt: '2030-01-01T00:00:00Z',
    });
    expect(codeOf(bad)).toEqual([400, 'VALIDATION_FAILED']);
    expect(
      codeOf(await adminPost(couponId, 'sale-window', { saleStartsAt: '2030-01-01T00:00:00Z' })),
    ).toEqual([400, 'VALIDATION_FAILED']);
    const opensNow = {
      saleStartsAt: new Date(Date.now() - 1000).toISOString(),
      saleEndsAt: new Date(Date.now() + 3_600_000).toISOString(),
    };
    const moved = await adminPost(couponId, 'sale-window', opensNow);
    expect([moved.status, moved.body.saleStartsAt, moved.body.saleEndsAt, moved.body.revision]).toEqual([
      200,
      opensNow.saleStartsAt,
      opensNow.saleEndsAt,
      '1',
    ]);
    expect((await seckill(couponId, 'early')).status).toBe(201);
    const late = await adminPost(couponId, 'sale-window', {
      saleStartsAt: '2030-01-01T00:00:00Z',
      saleEndsAt: '2030-01-02T00:00:00Z',
    });
    expect(codeOf(late)).toEqual([409, 'SALE_ALREADY_STARTED']);
    expect(late.body.error?.details).toEqual({ saleStartsAt: opensNow.saleStartsAt });
    const events = (await h.allEvents()).filter(
      (e) => e.type === 'CouponSaleWindowChanged' && (e.data as { couponId: string }).couponId === couponId,
    );
    expect(events.map((e) => [e.schemaVersion, e.data])).toEqual([
      [1, { couponId, ...opensNow, changedAt: expect.any(String) }],
    ]);
    expect(codeOf(await adminPost(await regularCoupon(), 'sale-window', opensNow))).toEqual([
      409,
      'NOT_A_SECKILL_COUPON',
    ]);
  });

  it('deactivates (every buyer refused with COUPON_INACTIVE) and reactivates (buyers served again)', async () => {
    const flash = await h.createCoupon({ totalStock: 5 });
    const regular = await regularCoupon({ totalStock: 5 });
    for (const couponId of [flash, regular]) {
      const off = await adminPost(couponId, 'deactivate');
      expect([off.status, off.body.status, off.body.revision]).toEqual([200, 'INACTIVE', '1']);
      expect(codeOf(await adminPost(couponId, 'deactivate'))).toEqual([409, 'COUPON_ALREADY_INACTIVE']);
    }
    expect(codeOf(await seckill(flash, 'buyer-x'))).toEqual([409, 'COUPON_INACTIVE']);
    expect(codeOf(await claim(regular, 'buyer-x'))).toEqual([409, 'COUPON_INACTIVE']);
    expect(await h.api.container.get(TOKENS.StockGate).state(flash)).toMatchObject({ sold: 0 });
    for (const couponId of [flash, regular]) {
      const on = await adminPost(couponId, 'reactivate', {});
      expect([on.status, on.body.status]).toEqual([200, 'ACTIVE']);
      expect(codeOf(await adminPost(couponId, 'reactivate'))).toEqual([409, 'COUPON_ALREADY_ACTIVE']);
    }
    expect((await seckill(flash, 'buyer-x')).status).toBe(201);
    expect((await claim(regular, 'buyer-x')).status).toBe(201);

    // Only administrators, and a closed coupon stays closed.
    const asUser = await request(h.api.url, 'POST', `/api/v1/coupons/${flash}/deactivate`, {
      token: tokenFor('buyer-x'),
    });
    expect(codeOf(asUser)).toEqual([403, 'FORBIDDEN']);
    expect((await adminPost(flash, 'close')).body.status).toBe('CLOSED');
    expect(codeOf(await adminPost(flash, 'reactivate'))).toEqual([409, 'COUPON_CLOSED']);
    expect(codeOf(await adminPost(flash, 'deactivate', { reason: 'x' }))).toEqual([400, 'VALIDATION_FAILED']);
  });
});
