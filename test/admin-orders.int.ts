import { startRoles, type RunningProcess } from '../bin/process';
import { TOKENS } from '../bin/tokens';
import { shardOfOrder } from '../domain/shared/shard-key';
import { PROJECTION_NAMES } from '../projections/projection';
import { request, tokenFor } from './support/http-client';
import { pool } from './support/pool';
import { readWholeLog } from './support/event-log';
import { waitForZeroLag } from './support/projection-lag';
import { createTestEnv, type TestEnv } from './support/test-env';

const SHARDS = 3;

interface Listed {
  orderId: string;
  userId: string;
  couponId: string;
  status: string;
  placedAt: string;
}

interface Truth {
  orderId: string;
  userId: string;
  couponId: string;
  status: string;
  placedAt: string;
}

/** Newest first by (placedAt, orderId): the listing's order. */
const newestFirst = (a: Truth, b: Truth): number =>
  a.placedAt === b.placedAt ? (a.orderId < b.orderId ? 1 : -1) : a.placedAt < b.placedAt ? 1 : -1;

/**
 * The administrators' order listing on read-api, across 3 shards of the orders read model (orders live with their
 * buyer's shard): a time range, filters, keyset paging to the end while orders keep being placed.
 */
describe('admin order listing across shards', () => {
  let env: TestEnv;
  let app: RunningProcess;
  let writeUrl: string;
  let readUrl: string;
  const admin = tokenFor('admin', 'admin');
  const coupons: string[] = [];

  const truth = async (): Promise<Truth[]> => {
    const store = app.container.get(TOKENS.EventStore);
    const orders = new Map<string, Truth>();
    for (const e of await readWholeLog(store)) {
      const d = e.data as Record<string, string>;
      if (e.type === 'OrderPlaced')
        orders.set(d.orderId!, {
          orderId: d.orderId!,
          userId: d.userId!,
          couponId: d.couponId!,
          status: 'PLACED',
          placedAt: d.placedAt!,
        });
      if (e.type === 'OrderCancelled') orders.get(d.orderId!)!.status = 'CANCELLED';
      if (e.type === 'OrderUsed') orders.get(d.orderId!)!.status = 'USED';
    }
    return [...orders.values()].sort(newestFirst);
  };

  /** One order; a 503 (a busy machine: a full queue, a breaker) is retried after its Retry-After, as a client would. */
  const seckill = async (userId: string, couponId: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const r = await request(writeUrl, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor(userId) });
      if (r.status === 503 && attempt < 20) {
        await new Promise((resolve) => setTimeout(resolve, 1000 * Number(r.headers.get('retry-after') ?? 1)));
        continue;
      }
      expect([r.status, r.body.error?.code]).toEqual([201, undefined]);
      return;
    }
  };

  /** Every page of a listing, `limit` at a time, each answer's order checked. */
  const pageThrough = async (
    query: string,
    limit: number,
    onPage?: () => Promise<void>,
  ): Promise<Listed[]> => {
    const listed: Listed[] = [];
    for (let cursor: string | null = null, pages = 0; ; pages++) {
      expect(pages).toBeLessThan(10_000);
      const page = await request(
        readUrl,
        'GET',
        `/api/v1/admin/orders?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token: admin },
      );
      expect(page.status).toBe(200);
      const items = page.body.items as Listed[];
      expect(items.length).toBeLessThanOrEqual(limit);
      listed.push(...items);
      cursor = page.body.nextCursor as string | null;
      if (cursor === null) break;
      expect(items).toHaveLength(limit);
      await onPage?.();
    }
    return listed;
  };

  beforeAll(async () => {
    env = createTestEnv({ COUPONKILL_READ_SHARDS: String(SHARDS), COUPONKILL_PROJECTION_PARTITIONS: '4' });
    app = await startRoles(
      env.config,
      { writeApi: 0, readApi: 0, relay: true, projectors: PROJECTION_NAMES },
      'all-in-one',
    );
    writeUrl = app.urls.writeApi!;
    readUrl = app.urls.readApi!;
    for (const name of ['first', 'second']) {
      const created = await request(writeUrl, 'POST', '/api/v1/coupons', {
        token: admin,
        body: {
          name,
          faceValueCents: 100,
          totalStock: 5000,
          perUserLimit: 50,
          saleStartsAt: '2026-01-01T00:00:00Z',
          saleEndsAt: '2099-01-01T00:00:00Z',
        },
      });
      coupons.push(String(created.body.couponId));
    }
    // 240 orders of 80 buyers over both coupons, many sharing a millisecond; some cancelled, some used.
    await pool(
      Array.from({ length: 240 }, (_, i) => i),
      32,
      (i) => seckill(`buyer-${i % 80}`, coupons[i % 2]!),
    );
    const placed = await truth();
    await Promise.all(
      placed
        .slice(0, 30)
        .map((o) =>
          request(writeUrl, 'POST', `/api/v1/orders/${o.orderId}/cancel`, { token: tokenFor(o.userId) }),
        ),
    );
    await Promise.all(
      placed
        .slice(30, 50)
        .map((o) =>
          request(writeUrl, 'POST', `/api/v1/orders/${o.orderId}/use`, { token: tokenFor(o.userId) }),
        ),
    );
    await waitForZeroLag(readUrl);
  }, 180_000);

  afterAll(async () => {
    await app.stop();
    await env.cleanup();
  });

  it('spreads the orders over every shard', async () => {
    const shards = new Set((await truth()).map((o) => shardOfOrder(o.orderId, SHARDS)));
    expect(shards.size).toBe(SHARDS);
  });

  it('pages to the end with no duplicate and no gap while orders are being placed, newest first', async () => {
    const before = await truth();
    const from = before.at(-1)!.placedAt;
    const to = new Date(Date.now() + 3_600_000).toISOString();
    // Buyers in every shard keep placing orders, two at a time, all the while the pages are read.
    let placing = 0;
    let paging = true;
    const placers = [0, 1].map(async () => {
      while (paging) {
        const n = placing++;
        await seckill(`late-${n % 40}`, coupons[n % 2]!);
      }
    });
    let listed: Listed[];
    try {
      listed = await pageThrough(`&from=${from}&to=${to}`, 7, () => new Promise((r) => setTimeout(r, 20)));
    } finally {
      paging = false;
      await Promise.all(placers);
    }
    expect(placing).toBeGreaterThan(20);
    const ids = listed.map((o) => o.orderId);
    expect(new Set(ids).size).toBe(ids.length); // no duplicate
    const seen = new Set(ids);
    expect(before.filter((o) => !seen.has(o.orderId))).toEqual([]); // no gap
    // Strictly newest first by (placedAt, orderId), across shards.
    for (let i = 1; i < listed.length; i++)
      expect(newestFirst(listed[i - 1] as Truth, listed[i] as Truth)).toBeLessThan(0);
    // What the pages show of the orders that existed before is what the event store says.
    const truthById = new Map(before.map((o) => [o.orderId, o]));
    for (const order of listed.filter((o) => truthById.has(o.orderId)))
      expect(order).toMatchObject(truthById.get(order.orderId)!);
  }, 120_000);

  it('lists a time range (from inclusive, to exclusive), a coupon and a status exactly as the event store says', async () => {
    await waitForZeroLag(readUrl);
    const all = await truth();
    const from = all[Math.floor(all.length * 0.7)]!.placedAt;
    const to = all[Math.floor(all.length * 0.2)]!.placedAt;
    const inRange = all.filter((o) => o.placedAt >= from && o.placedAt < to);
    expect(inRange.length).toBeGreaterThan(20);
    const idsOf = (orders: readonly { orderId: string }[]) => orders.map((o) => o.orderId);

    expect(idsOf(await pageThrough(`&from=${from}&to=${to}`, 9))).toEqual(idsOf(inRange));
    expect(idsOf(await pageThrough('', 100))).toEqual(idsOf(all));
    const coupon = coupons[1]!;
    expect(idsOf(await pageThrough(`&couponId=${coupon}&from=${from}`, 5))).toEqual(
      idsOf(all.filter((o) => o.couponId === coupon && o.placedAt >= from)),
    );
    for (const status of ['CANCELLED', 'USED', 'PLACED', 'EXPIRED'])
      expect(idsOf(await pageThrough(`&status=${status}`, 11))).toEqual(
        idsOf(all.filter((o) => o.status === status)),
      );
    expect(idsOf(await pageThrough(`&status=CANCELLED&couponId=${coupon}&to=${to}`, 4))).toEqual(
      idsOf(all.filter((o) => o.status === 'CANCELLED' && o.couponId === coupon && o.placedAt < to)),
    );
    const offsetFrom = from.replace('Z', '+00:00');
    expect(idsOf(await pageThrough(`&from=${encodeURIComponent(offsetFrom)}&to=${to}`, 50))).toEqual(
      idsOf(inRange),
    );
  }, 120_000);

  it('refuses a bad from, to, status, couponId, cursor or limit with a 400 naming it, and non-administrators', async () => {
    const refused: [string, string][] = [
      ['from=yesterday', 'from'],
      ['from=2026-13-01T00:00:00Z', 'from'],
      ['to=2026-01-01', 'to'],
      ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
      ['from=2026-02-01T00:00:00Z&to=2026-02-01T00:00:00Z', 'to'],
      ['status=LOST', 'status'],
      ['status=placed', 'status'],
      ['couponId=not-a-coupon', 'couponId'],
      ['cursor=abc', 'cursor'],
      [`cursor=${Buffer.from('2026-01-01T00:00:00.000Z|x').toString('base64url')}`, 'cursor'],
      ['cursor=', 'cursor'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['page=2', 'page'],
    ];
    for (const [query, field] of refused) {
      const answer = await request(readUrl, 'GET', `/api/v1/admin/orders?${query}`, { token: admin });
      expect({ query, status: answer.status, code: answer.body.error?.code }).toEqual({
        query,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      expect(
        (answer.body.error?.details?.issues as { path: string }[]).map((i) => i.path.split('.')[0]),
      ).toContain(field === 'page' ? 'query' : field);
    }
    const buyer = await request(readUrl, 'GET', '/api/v1/admin/orders', { token: tokenFor('buyer-1') });
    expect([buyer.status, buyer.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    expect((await request(readUrl, 'GET', '/api/v1/admin/orders')).status).toBe(401);
  });
});
