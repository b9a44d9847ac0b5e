import { startRoles, type RunningProcess } from '../bin/process';
import { TOKENS } from '../bin/tokens';
import { systemContext, withMetadata } from '../commands/command-context';
import type { RecordedEvent } from '../commands/event-store-port';
import type { CouponType } from '../domain/coupon/coupon-events';
import { orderStreamId } from '../domain/order/order-events';
import { UuidV7Ids } from '../infra/ids/uuid-v7-ids';
import { OrderExpiry } from '../projections/order-expiry';
import { PROJECTION_NAMES } from '../projections/projection';
import { request, tokenFor } from './support/http-client';
import { waitForZeroLag } from './support/projection-lag';
import { createTestEnv, type TestEnv } from './support/test-env';

/** The configured sweep interval and notice lead time of this suite. */
const INTERVAL_MS = 400;
const LEAD_SECONDS = 3;
/** How late past validUntil an expiry may be stored: one interval, plus a sweep's own time on a busy CI machine. */
const EXPIRY_SLACK_MS = INTERVAL_MS + 2500;

const ids = new UuidV7Ids();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Placed {
  readonly orderId: string;
  readonly userId: string;
  readonly couponId: string;
  readonly validUntil: Date | null;
}

/**
 * The order lifecycle's time-driven half on the real system (write-api, relay, projectors, read-api on MariaDB and
 * Redis): orders are placed as the placement path stores them (OrderPlaced v2 with validity and minimum spend,
 * appended here), and the expiry process running beside the orders projector expires and notices them.
 */
describe('order expiry (all roles on MariaDB and Redis)', () => {
  let env: TestEnv;
  let app: RunningProcess;
  /** A second process running the orders projector, hence a second expiry process in the group. */
  let second: RunningProcess;
  let writeUrl: string;
  let readUrl: string;
  let couponId: string;
  const admin = tokenFor('admin', 'admin');

  const place = async (
    userId: string,
    validUntil: Date | null,
    options: { minSpendCents?: number; couponType?: CouponType; coupon?: string } = {},
  ): Promise<Placed> => {
    const orderId = ids.orderId(userId);
    const coupon = options.coupon ?? couponId;
    const store = app.container.get(TOKENS.EventStore);
    await store.append(
      orderStreamId(orderId),
      withMetadata(
        [
          {
            type: 'OrderPlaced',
            schemaVersion: 2,
            data: {
              orderId,
              couponId: coupon,
              userId,
              placedAt: new Date().toISOString(),
              idempotencyKey: null,
              couponType: options.couponType ?? 'SECKILL',
              minSpendCents: options.minSpendCents ?? 0,
              validUntil: validUntil?.toISOString() ?? null,
            },
          },
        ],
        systemContext('test-placement'),
        new Date(),
        () => ids.newId(),
      ),
      'no_stream',
    );
    return { orderId, userId, couponId: coupon, validUntil };
  };

  const streamOf = async (orderId: string): Promise<RecordedEvent[]> =>
    app.container.get(TOKENS.EventStore).readStream(orderStreamId(orderId));

  const typesOf = async (orderId: string): Promise<string[]> => (await streamOf(orderId)).map((e) => e.type);

  const waitFor = async <T>(what: string, probe: () => Promise<T | null>, ms = 30_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = await probe();
      if (found !== null) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(50);
    }
  };

  beforeAll(async () => {
    env = createTestEnv({
      COUPONKILL_PROJECTION_PARTITIONS: '4',
      COUPONKILL_ORDER_EXPIRY_INTERVAL_MS: String(INTERVAL_MS),
      COUPONKILL_ORDER_EXPIRY_NOTICE_LEAD_SECONDS: String(LEAD_SECONDS),
      COUPONKILL_PROJECTOR_LEASE_MS: '3000',
    });
    app = await startRoles(
      env.config,
      { writeApi: 0, readApi: 0, relay: true, projectors: PROJECTION_NAMES },
      'all-in-one',
    );
    second = await startRoles(env.config, { projectors: ['orders'] }, 'projector');
    writeUrl = app.urls.writeApi!;
    readUrl = app.urls.readApi!;
    const created = await request(writeUrl, 'POST', '/api/v1/coupons', {
      token: admin,
      body: {
        name: 'expiring',
        faceValueCents: 100,
        totalStock: 1000,
        perUserLimit: 10,
        saleStartsAt: '2026-01-01T00:00:00Z',
        saleEndsAt: '2099-01-01T00:00:00Z',
      },
    });
    couponId = String(created.body.couponId);
  }, 120_000);

  afterAll(async () => {
    await second.stop();
    await app.stop();
    await env.cleanup();
  });

  it('runs one sweeping expiry process of the two, the holder of the lease', async () => {
    const leaders = await waitFor('a leader', () => {
      const leading = [app, second].filter((p) => p.container.get(OrderExpiry).leading);
      return Promise.resolve(leading.length > 0 ? leading : null);
    });
    expect(leaders).toHaveLength(1);
  });

  it('notices, then expires within the interval, orders whose validity ends; they can then be neither used nor cancelled, the buyer is notified of both, stats count them, and no stock returns', async () => {
    const start = Date.now();
    const buyers = Array.from({ length: 12 }, (_, i) => `expiring-${i}`);
    // Valid for 6 s (noticed from 3 s on), with and without a minimum spend; and orders valid for ever or for days.
    const soon = new Date(start + 6000);
    const ending = await Promise.all(
      buyers.map((userId, i) => place(userId, soon, { minSpendCents: i % 2 === 0 ? 0 : 2500 })),
    );
    const lasting = await Promise.all([
      place(buyers[0]!, null),
      place(buyers[1]!, new Date(start + 7 * 86_400_000)),
    ]);
    await waitForZeroLag(readUrl);
    const couponBefore = await request(readUrl, 'GET', `/api/v1/coupons/${couponId}`, { token: admin });

    // Noticed once the lead time is reached, before the validity ends: still placed, still usable.
    for (const order of ending)
      await waitFor(`the notice of ${order.orderId}`, async () =>
        (await typesOf(order.orderId)).includes('OrderExpiryNoticed') ? true : null,
      );
    expect(Date.now()).toBeLessThan(soon.getTime());

    // Expired within the interval after the validity ended.
    for (const order of ending) {
      const stored = await waitFor(`the expiry of ${order.orderId}`, async () => {
        const events = await streamOf(order.orderId);
        return events.find((e) => e.type === 'OrderExpired') ?? null;
      });
      const { expiredAt, validUntil } = stored.data as { expiredAt: string; validUntil: string };
      expect(validUntil).toBe(soon.toISOString());
      const late = Date.parse(expiredAt) - soon.getTime();
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThanOrEqual(EXPIRY_SLACK_MS);
      expect(await typesOf(order.orderId)).toEqual(['OrderPlaced', 'OrderExpiryNoticed', 'OrderExpired']);
    }
    // Orders whose validity has not ended are untouched (one is valid for ever; the other is days from its end).
    for (const order of lasting) expect(await typesOf(order.orderId)).toEqual(['OrderPlaced']);

    // Neither used nor cancelled after.
    for (const order of ending.slice(0, 4)) {
      const used = await request(writeUrl, 'POST', `/api/v1/orders/${order.orderId}/use`, {
        token: tokenFor(order.userId),
        body: { amountCents: 100_000 },
      });
      expect([used.status, used.body.error?.code]).toEqual([409, 'ORDER_EXPIRED']);
      expect(used.body.error?.details).toEqual({ orderId: order.orderId, validUntil: soon.toISOString() });
      const cancelled = await request(writeUrl, 'POST', `/api/v1/orders/${order.orderId}/cancel`, {
        token: tokenFor(order.userId),
      });
      expect([cancelled.status, cancelled.body.error?.code]).toEqual([409, 'ORDER_EXPIRED']);
    }

    await waitForZeroLag(readUrl);
    // The read side shows them expired, and the statistics count them.
    const view = await request(readUrl, 'GET', `/api/v1/orders/${ending[0]!.orderId}`, {
      token: tokenFor(ending[0]!.userId),
    });
    expect(view.body).toMatchObject({
      status: 'EXPIRED',
      validUntil: soon.toISOString(),
      expiredAt: expect.any(String) as string,
      couponType: 'SECKILL',
    });
    const stats = await request(readUrl, 'GET', `/api/v1/users/${buyers[0]!}/coupon-stats`, {
      token: tokenFor(buyers[0]!),
    });
    expect(stats.body.coupons).toEqual([
      { couponId, placed: 1, cancelled: 0, used: 0, expired: 1, seckill: 2, regular: 0 },
    ]);
    const expiredOnly = await request(readUrl, 'GET', `/api/v1/users/${buyers[3]!}/orders?status=EXPIRED`, {
      token: tokenFor(buyers[3]!),
    });
    expect((expiredOnly.body.items as { orderId: string }[]).map((o) => o.orderId)).toEqual([
      ending[3]!.orderId,
    ]);
    // Each buyer was told, once each: the expiry coming (at the notice), then the expiry.
    for (const order of ending) {
      const told = await request(readUrl, 'GET', '/api/v1/notifications', { token: tokenFor(order.userId) });
      expect(
        (told.body.items as { kind: string; payload: { orderId: string } }[])
          .filter((n) => n.payload.orderId === order.orderId)
          .map((n) => n.kind),
      ).toEqual(['ORDER_EXPIRED', 'ORDER_EXPIRING']);
    }
    // Expiry never returns stock: the coupon has sold exactly what it had sold.
    const couponAfter = await request(readUrl, 'GET', `/api/v1/coupons/${couponId}`, { token: admin });
    expect(couponAfter.body).toMatchObject({
      sold: couponBefore.body.sold,
      remaining: couponBefore.body.remaining,
    });
  }, 120_000);

  it('refuses a use after validUntil before the expiry process has run, and asks for the minimum spend', async () => {
    // Valid until a second ago: the process has not swept it yet, or has (either way the use is refused).
    const gone = await place('late-buyer', new Date(Date.now() - 1000));
    const refused = await request(writeUrl, 'POST', `/api/v1/orders/${gone.orderId}/use`, {
      token: tokenFor('late-buyer'),
    });
    expect([refused.status, refused.body.error?.code]).toEqual([409, 'ORDER_EXPIRED']);

    const ruled = await place('spender', new Date(Date.now() + 3_600_000), { minSpendCents: 5000 });
    const missing = await request(writeUrl, 'POST', `/api/v1/orders/${ruled.orderId}/use`, {
      token: tokenFor('spender'),
    });
    expect([missing.status, missing.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(missing.body.error?.details).toEqual({
      issues: [{ path: 'amountCents', message: expect.any(String) as string }],
    });
    const tooLittle = await request(writeUrl, 'POST', `/api/v1/orders/${ruled.orderId}/use`, {
      token: tokenFor('spender'),
      body: { amountCents: 4999 },
    });
    expect([tooLittle.status, tooLittle.body.error?.code, tooLittle.body.error?.details]).toEqual([
      422,
      'MIN_SPEND_NOT_MET',
      { minSpendCents: 5000, amountCents: 4999 },
    ]);
    for (const amountCents of [-1, 1.5, '5000'])
      expect(
        (
          await request(writeUrl, 'POST', `/api/v1/orders/${ruled.orderId}/use`, {
            token: tokenFor('spender'),
            body: { amountCents },
          })
        ).body.error?.details,
      ).toEqual({ issues: [expect.objectContaining({ path: 'amountCents' })] });
    const used = await request(writeUrl, 'POST', `/api/v1/orders/${ruled.orderId}/use`, {
      token: tokenFor('spender'),
      body: { amountCents: 5000 },
    });
    expect(used.body).toMatchObject({ status: 'USED' });
    expect((await streamOf(ruled.orderId)).at(-1)?.data).toMatchObject({ amountCents: 5000 });
  });

  it('never expires or notices an order twice with several sweepers at once, and a use racing an expiry ends in exactly one', async () => {
    const validUntil = new Date(Date.now() + 2500);
    const orders = await Promise.all(
      Array.from({ length: 60 }, (_, i) => place(`raced-${i % 20}`, validUntil, { couponType: 'REGULAR' })),
    );
    await waitForZeroLag(readUrl);
    // Every process's expiry sweeps at once, again and again, whoever leads, beside the leader's own timer.
    const sweepers = [app, second].map((p) => p.container.get(OrderExpiry));
    let sweeping = true;
    const loops = [...sweepers, ...sweepers].map(async (sweeper) => {
      while (sweeping) {
        await sweeper.sweep();
        await sleep(5);
      }
    });
    // Buyers of a third of the orders try to use them right around the end of their validity.
    await sleep(Math.max(0, validUntil.getTime() - Date.now() - 30));
    const uses = await Promise.all(
      orders
        .filter((_, i) => i % 3 === 0)
        .map((o) =>
          request(writeUrl, 'POST', `/api/v1/orders/${o.orderId}/use`, { token: tokenFor(o.userId) }),
        ),
    );
    for (const order of orders)
      await waitFor(`the end of ${order.orderId}`, async () => {
        const types = await typesOf(order.orderId);
        return types.includes('OrderExpired') || types.includes('OrderUsed') ? true : null;
      });
    await sleep(3 * INTERVAL_MS);
    sweeping = false;
    await Promise.all(loops);

    let used = 0;
    for (const order of orders) {
      const types = await typesOf(order.orderId);
      const terminal = types.filter((t) => t === 'OrderExpired' || t === 'OrderUsed');
      expect({ orderId: order.orderId, terminal: terminal.length }).toEqual({
        orderId: order.orderId,
        terminal: 1,
      });
      expect(types.filter((t) => t === 'OrderExpiryNoticed').length).toBeLessThanOrEqual(1);
      if (terminal[0] === 'OrderUsed') used += 1;
    }
    // Each use either won (200 USED) or met the expiry (409 ORDER_EXPIRED): never both stored. (A 503 on a busy
    // machine stored nothing, and the expiry then won.)
    expect(uses.filter((u) => u.status === 200)).toHaveLength(used);
    for (const u of uses.filter((r) => r.status !== 200 && r.status !== 503))
      expect([u.status, u.body.error?.code]).toEqual([409, 'ORDER_EXPIRED']);

    await waitForZeroLag(readUrl);
    const totals = new Map<string, { expired: number; used: number; regular: number }>();
    for (const userId of new Set(orders.map((o) => o.userId))) {
      const stats = await request(readUrl, 'GET', `/api/v1/users/${userId}/coupon-stats`, {
        token: tokenFor(userId),
      });
      const t = stats.body.totals as { expired: number; used: number; regular: number; placed: number };
      expect(t.placed).toBe(0);
      totals.set(userId, t);
    }
    const sum = [...totals.values()].reduce(
      (s, t) => ({ expired: s.expired + t.expired, used: s.used + t.used, regular: s.regular + t.regular }),
      { expired: 0, used: 0, regular: 0 },
    );
    expect(sum).toEqual({ expired: orders.length - used, used, regular: orders.length });
  }, 120_000);

  it('hands the sweeping to the other process when the leader’s expiry stops', async () => {
    const processes = [app, second];
    const leader = await waitFor('a leader', () =>
      Promise.resolve(processes.find((p) => p.container.get(OrderExpiry).leading) ?? null),
    );
    const follower = processes.find((p) => p !== leader)!;
    await leader.container.get(OrderExpiry).stop(); // leaves the group: its lease is released at once
    await waitFor('the other process to lead', () =>
      Promise.resolve(follower.container.get(OrderExpiry).leading ? true : null),
    );
    const order = await place('after-failover', new Date(Date.now() + 1500));
    const stored = await waitFor(
      'the expiry after the failover',
      async () => (await streamOf(order.orderId)).find((e) => e.type === 'OrderExpired') ?? null,
    );
    expect(stored.metadata.userId).toBe('system');
  }, 60_000);
});
