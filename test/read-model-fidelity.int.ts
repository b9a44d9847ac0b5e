import { startRoles, type RunningProcess } from '../bin/process';
import { PROJECTION_NAMES } from '../projections/projection';
import { TOKENS } from '../bin/tokens';
import { shardOfKey } from '../domain/shared/shard-key';
import { MAX_MIN_ACCOUNT_AGE_SECONDS } from '../domain/coupon/coupon-decider';
import { request, tokenFor, type JsonResponse } from './support/http-client';
import { waitForZeroLag } from './support/projection-lag';
import { createTestEnv, type TestEnv } from './support/test-env';

const EARLIEST = '2000-01-01T00:00:00.000Z';
const LATEST = '9999-12-31T23:59:59.999Z';

/** `count` code points (or UTF-16 units, for BMP alphabets) taken in turn from `alphabet`. */
const cycle = (alphabet: readonly string[], count: number): string =>
  Array.from({ length: count }, (_, i) => alphabet[i % alphabet.length]).join('');

/** Astral characters: each is two UTF-16 units. Emoji, mathematical letters, CJK extension B, cards, the last one. */
const ASTRAL = ['😀', '🦄', '𝔘', '𠀋', '🂡', '\u{10FFFF}', '🏻', '𓀀'];
/** Single-unit characters from across the BMP, the replacement character and the noncharacters included. */
const BMP = ['A', 'ñ', '中', 'ж', '€', 'ﬀ', '\uFFFD', 'ᚠ', '\uFFFE', '\uFFFF'];

/** The coupon fields a write answers and every read of the coupon must show unchanged. */
interface CouponFields {
  couponId: string;
  name: string;
  description: string;
  faceValueCents: number;
  totalStock: number;
  perUserLimit: number;
  saleStartsAt: string;
  saleEndsAt: string;
  minAccountAgeSeconds: number;
  couponType: 'SECKILL' | 'REGULAR';
  minSpendCents: number;
  validDays: number | null;
  validUntil: string | null;
}

interface AcceptedCoupon {
  readonly label: string;
  readonly body: Record<string, unknown>;
  /** What the write answer must show where it differs from the body (trimmed text, normalised times, defaults). */
  readonly shows?: Partial<CouponFields>;
}

const base = {
  name: 'Edge coupon',
  description: 'plain',
  faceValueCents: 100,
  totalStock: 10,
  perUserLimit: 1,
  saleStartsAt: EARLIEST,
  saleEndsAt: LATEST,
};

const ACCEPTED: readonly AcceptedCoupon[] = [
  {
    label: 'astral',
    body: { ...base, name: cycle(ASTRAL, 100), description: cycle(ASTRAL, 1000) },
  },
  {
    label: 'bmp',
    body: { ...base, name: cycle(BMP, 200), description: cycle(BMP, 2000) },
  },
  {
    label: 'control',
    body: {
      ...base,
      name: 'nul\u0000soh\u0001bel\u0007bs\u0008esc\u001b[31mdel\u007fnel\u0085apc\u009f tab\tlf\ncr\rvt\u000bff\u000cend',
      // Trimming leaves a NUL alone: it is no white space.
      description: '\u0000',
    },
  },
  {
    label: 'bidi',
    body: {
      ...base,
      name: 'مرحبا \u202Eevil\u202C שלום e\u0301 n\u0303 Z\u0335\u0321\u0322\u0344 \u200F\u200E 👨‍👩‍👧‍👦 🇺🇦 क्षि\u200D',
      description: 'שָׁלוֹם مَرْحَبًا \u2067isolate\u2069 \u061C',
    },
  },
  {
    label: 'quoting',
    body: {
      ...base,
      name: `"double" 'single' \`back\` \\ \\\\ \\u0000 \\n / <b>&amp; %s %n {{x}} \${x} '; DROP TABLE coupons; --\nline\r\nline\u2028ls\u2029ps`,
      description: '{"a":"b\\"c"} C:\\path\\ \\',
    },
  },
  {
    label: 'padded',
    body: {
      ...base,
      name: ' \t\n\r\u000b\u000c\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeff Padded  name \t\u3000 ',
      description: '\n\n  text with inner   spaces  \n',
    },
    shows: { name: 'Padded  name', description: 'text with inner   spaces' },
  },
  {
    label: 'minimums',
    body: {
      name: 'm',
      faceValueCents: 0,
      totalStock: 1,
      perUserLimit: 1,
      saleStartsAt: EARLIEST,
      saleEndsAt: LATEST,
    },
    shows: { description: '' },
  },
  {
    label: 'maximums',
    body: {
      ...base,
      description: 'x'.repeat(2000),
      faceValueCents: Number.MAX_SAFE_INTEGER,
      totalStock: 100_000_000,
      perUserLimit: 100,
    },
  },
  {
    // Its own coupon: the tests buy the maximums, and no test account is ten years old.
    label: 'account age maximum',
    body: { ...base, minAccountAgeSeconds: MAX_MIN_ACCOUNT_AGE_SECONDS },
  },
  {
    // A REGULAR coupon has no window of its own: it shows the always-open one.
    label: 'regular',
    body: {
      couponType: 'REGULAR',
      name: 'Regular',
      faceValueCents: 1,
      totalStock: 10,
      perUserLimit: 3,
      minSpendCents: Number.MAX_SAFE_INTEGER,
      validDays: 3650,
    },
    shows: { description: '', saleStartsAt: EARLIEST, saleEndsAt: LATEST },
  },
  {
    label: 'fixed validity',
    body: {
      ...base,
      saleStartsAt: '2030-06-15T00:00:00.000Z',
      saleEndsAt: '2030-06-16T00:00:00.000Z',
      minSpendCents: 1,
      validUntil: '9999-12-31T11:59:59.999999-12:00',
    },
    shows: { validUntil: LATEST },
  },
  {
    // Its window moves and it is deactivated below: every read model shows the change.
    label: 'changed',
    body: {
      ...base,
      saleStartsAt: '2031-01-01T00:00:00.000Z',
      saleEndsAt: '2031-01-02T00:00:00.000Z',
      validDays: 1,
    },
  },
  {
    label: 'bounds by offset',
    body: {
      ...base,
      // Both bounds exactly, written in the farthest offsets and with digits below the millisecond.
      saleStartsAt: '2000-01-01T14:00:00.000999+14:00',
      saleEndsAt: '9999-12-31T11:59:59.999999-12:00',
    },
    shows: { saleStartsAt: EARLIEST, saleEndsAt: LATEST },
  },
  {
    label: 'offsets',
    body: {
      ...base,
      saleStartsAt: '2030-06-15T12:34:56.789123+14:00',
      saleEndsAt: '2030-06-15T12:34:56.7-12:00',
    },
    shows: { saleStartsAt: '2030-06-14T22:34:56.789Z', saleEndsAt: '2030-06-16T00:34:56.700Z' },
  },
  {
    label: 'first millisecond',
    body: { ...base, saleStartsAt: EARLIEST, saleEndsAt: '2000-01-01T00:00:00.001Z' },
  },
  {
    label: 'last millisecond',
    body: { ...base, saleStartsAt: '9999-12-31T23:59:59.998Z', saleEndsAt: LATEST },
  },
];

/** User ids at the edges of a token subject (`^[A-Za-z0-9._:-]{1,64}$`), distinct even ignoring case. */
const BUYERS = {
  longest: '.:-_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.slice(0, 64),
  dotted: 'dotted.user:with:colons',
  shortest: '9',
  dashes: '--__..::',
} as const;

interface OrderTruth {
  readonly orderId: string;
  readonly userId: string;
  readonly couponId: string;
  status: string;
  /** The position the last write of the order answered. */
  position: string;
}

/**
 * What the write side accepts, every read model stores and shows unchanged; what it cannot hold, the write side
 * refuses with a 400 naming the field and writes nothing. All roles run in this process (write-api, relay over Redis
 * Streams, the three projectors, read-api) on real Redis and MariaDB.
 */
describe('read-model fidelity at the edges of what the write API accepts', () => {
  let env: TestEnv;
  let app: RunningProcess;
  let writeUrl: string;
  let readUrl: string;
  const admin = tokenFor('fidelity-admin', 'admin');
  const coupons = new Map<string, CouponFields>();
  const couponByLabel = new Map<string, string>();
  /** Each coupon's status, where a test changed it from ACTIVE. */
  const statuses = new Map<string, string>();
  const orders = new Map<string, OrderTruth>();

  const head = () => app.container.get(TOKENS.EventStore).headPosition();

  const seckill = async (couponId: string, userId: string): Promise<JsonResponse> => {
    const placed = await request(writeUrl, 'POST', `/api/v1/seckill/${couponId}`, {
      token: tokenFor(userId),
    });
    if (placed.status === 201) {
      expect(placed.body).toEqual({
        orderId: expect.any(String),
        couponId,
        userId,
        status: 'PLACED',
        position: expect.stringMatching(/^\d+$/),
      });
      const orderId = String(placed.body.orderId);
      orders.set(orderId, {
        orderId,
        userId,
        couponId,
        status: 'PLACED',
        position: String(placed.body.position),
      });
    }
    return placed;
  };

  const buy = async (couponId: string, userId: string): Promise<string> => {
    const placed = await seckill(couponId, userId);
    expect([placed.status, placed.body.error]).toEqual([201, undefined]);
    return String(placed.body.orderId);
  };

  /** `amountCents`: the purchase a use is for (an order with a minimum spend needs one). */
  const act = async (orderId: string, action: 'cancel' | 'use', amountCents?: number): Promise<void> => {
    const order = orders.get(orderId)!;
    const answer = await request(writeUrl, 'POST', `/api/v1/orders/${orderId}/${action}`, {
      token: tokenFor(order.userId),
      ...(amountCents === undefined ? {} : { body: { amountCents } }),
    });
    expect([answer.status, answer.body.error]).toEqual([200, undefined]);
    const status = action === 'cancel' ? 'CANCELLED' : 'USED';
    expect(answer.body).toEqual({
      orderId,
      couponId: order.couponId,
      userId: order.userId,
      status,
      position: expect.stringMatching(/^\d+$/),
    });
    order.status = status;
    order.position = String(answer.body.position);
  };

  /** Counts per status of the orders in `of`, keyed by `keyOf`. */
  const tally = (of: Iterable<OrderTruth>, keyOf: (o: OrderTruth) => string) => {
    const counts = new Map<string, { placed: number; cancelled: number; used: number }>();
    for (const o of of) {
      const c = counts.get(keyOf(o)) ?? { placed: 0, cancelled: 0, used: 0 };
      if (o.status === 'PLACED') c.placed += 1;
      if (o.status === 'CANCELLED') c.cancelled += 1;
      if (o.status === 'USED') c.used += 1;
      counts.set(keyOf(o), c);
    }
    return counts;
  };

  /** A buyer's statistics as read-api answers them: per coupon and in total, each order once by its coupon's type (SECKILL unless the test made it REGULAR). */
  const expectedStats = (userId: string, mine: Iterable<OrderTruth>) => {
    const withTypes = (couponId: string, c: { placed: number; cancelled: number; used: number }) => {
      const orders = c.placed + c.cancelled + c.used;
      const regular = coupons.get(couponId)?.couponType === 'REGULAR';
      return { ...c, expired: 0, seckill: regular ? 0 : orders, regular: regular ? orders : 0 };
    };
    const perCoupon = [...tally(mine, (o) => o.couponId)]
      .sort(([a], [b]) => (a < b ? 1 : -1))
      .map(([couponId, counts]) => ({ couponId, ...withTypes(couponId, counts) }));
    const totals = perCoupon.reduce(
      (sum, c) => ({
        placed: sum.placed + c.placed,
        cancelled: sum.cancelled + c.cancelled,
        used: sum.used + c.used,
        expired: 0,
        seckill: sum.seckill + c.seckill,
        regular: sum.regular + c.regular,
      }),
      { placed: 0, cancelled: 0, used: 0, expired: 0, seckill: 0, regular: 0 },
    );
    return { userId, coupons: perCoupon, totals };
  };

  /** Every page of a listing, `limit` at a time. */
  const allPages = async <T>(path: string, token: string, limit: number): Promise<T[]> => {
    const items: T[] = [];
    for (let cursor: string | null = null; ;) {
      const separator = path.includes('?') ? '&' : '?';
      const page = await request(
        readUrl,
        'GET',
        `${path}${separator}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        { token },
      );
      expect([page.status, page.body.error]).toEqual([200, undefined]);
      items.push(...(page.body.items as T[]));
      cursor = page.body.nextCursor as string | null;
      if (!cursor) return items;
    }
  };

  beforeAll(async () => {
    env = createTestEnv();
    app = await startRoles(
      env.config,
      { writeApi: 0, readApi: 0, relay: true, projectors: PROJECTION_NAMES },
      'all-in-one',
    );
    writeUrl = app.urls.writeApi!;
    readUrl = app.urls.readApi!;
  });
  afterAll(async () => {
    await app.stop();
    await env.cleanup();
  });

  it('answers each coupon at the edges exactly as stored: trimmed text, UTC milliseconds, defaults filled', async () => {
    for (const { label, body, shows } of ACCEPTED) {
      const created = await request(writeUrl, 'POST', '/api/v1/coupons', { token: admin, body });
      expect([label, created.status, created.body.error]).toEqual([label, 201, undefined]);
      const expected: CouponFields = {
        couponId: String(created.body.couponId),
        name: body.name as string,
        description: body.description as string,
        faceValueCents: body.faceValueCents as number,
        totalStock: body.totalStock as number,
        perUserLimit: body.perUserLimit as number,
        saleStartsAt: body.saleStartsAt as string,
        saleEndsAt: body.saleEndsAt as string,
        // Absent from a body: no account-age rule, a SECKILL coupon, no minimum spend, valid for ever.
        minAccountAgeSeconds: (body.minAccountAgeSeconds as number | undefined) ?? 0,
        couponType: (body.couponType as 'SECKILL' | 'REGULAR' | undefined) ?? 'SECKILL',
        minSpendCents: (body.minSpendCents as number | undefined) ?? 0,
        validDays: (body.validDays as number | undefined) ?? null,
        validUntil: (body.validUntil as string | undefined) ?? null,
        ...shows,
      };
      expect({ label, ...created.body }).toEqual({
        label,
        ...expected,
        status: 'ACTIVE',
        revision: '0',
        position: expect.stringMatching(/^\d+$/),
      });
      coupons.set(expected.couponId, expected);
      couponByLabel.set(label, expected.couponId);
    }
    // The edges are where they claim to be.
    expect(coupons.get(couponByLabel.get('astral')!)!.name).toHaveLength(200);
    expect(Array.from(coupons.get(couponByLabel.get('astral')!)!.name)).toHaveLength(100);
    expect(coupons.get(couponByLabel.get('astral')!)!.description).toHaveLength(2000);
    expect(coupons.get(couponByLabel.get('bmp')!)!.name).toHaveLength(200);
    expect(coupons.get(couponByLabel.get('bmp')!)!.description).toHaveLength(2000);
  });

  it('places, cancels and uses orders of buyers whose ids sit at the edges of a token subject', async () => {
    const max = couponByLabel.get('maximums')!;
    const min = couponByLabel.get('minimums')!;
    for (const userId of Object.values(BUYERS)) for (let i = 0; i < 3; i++) await buy(max, userId);
    const mine = (userId: string) => [...orders.values()].filter((o) => o.userId === userId);
    await act(mine(BUYERS.longest)[0]!.orderId, 'cancel');
    await act(mine(BUYERS.longest)[1]!.orderId, 'use');
    await act(mine(BUYERS.dotted)[2]!.orderId, 'cancel');
    await act(mine(BUYERS.shortest)[0]!.orderId, 'use');
    await act(mine(BUYERS.shortest)[1]!.orderId, 'use');

    // The one unit of the minimum coupon: sold, refused to the next buyer, returned, sold again and used.
    const first = await buy(min, BUYERS.shortest);
    expect((await seckill(min, BUYERS.dotted)).body.error?.code).toBe('SOLD_OUT');
    await act(first, 'cancel');
    await act(await buy(min, BUYERS.dotted), 'use');

    await buy(couponByLabel.get('astral')!, BUYERS.longest);
    await act(await buy(couponByLabel.get('bidi')!, BUYERS.dashes), 'cancel');
    await buy(couponByLabel.get('control')!, BUYERS.dashes);
    await buy(couponByLabel.get('quoting')!, BUYERS.dotted);
    await buy(couponByLabel.get('bounds by offset')!, BUYERS.shortest);
    // Outside their windows: refused, nothing sold.
    expect((await seckill(couponByLabel.get('offsets')!, BUYERS.dotted)).body.error?.code).toBe(
      'SALE_NOT_STARTED',
    );
    expect((await seckill(couponByLabel.get('first millisecond')!, BUYERS.dotted)).body.error?.code).toBe(
      'SALE_ENDED',
    );

    // Claims of the regular coupon, one cancelled, one used.
    const regular = couponByLabel.get('regular')!;
    const claimed = async (userId: string): Promise<string> => {
      const answer = await request(writeUrl, 'POST', `/api/v1/coupons/${regular}/claim`, {
        token: tokenFor(userId),
      });
      expect([answer.status, answer.body.error]).toEqual([201, undefined]);
      const orderId = String(answer.body.orderId);
      orders.set(orderId, {
        orderId,
        userId,
        couponId: regular,
        status: 'PLACED',
        position: String(answer.body.position),
      });
      return orderId;
    };
    await act(await claimed(BUYERS.longest), 'cancel');
    // Its minimum spend is the largest there is: a use is for a purchase of exactly that much.
    await act(await claimed(BUYERS.longest), 'use', Number.MAX_SAFE_INTEGER);
    await claimed(BUYERS.shortest);
  });

  it('moves a window and deactivates a coupon, each answered as every read model then shows it', async () => {
    const changed = couponByLabel.get('changed')!;
    const window = { saleStartsAt: '2032-02-29T23:59:59.999+14:00', saleEndsAt: '2032-03-01T00:00:00.001Z' };
    const moved = await request(writeUrl, 'POST', `/api/v1/coupons/${changed}/sale-window`, {
      token: admin,
      body: window,
    });
    const fields = coupons.get(changed)!;
    fields.saleStartsAt = '2032-02-29T09:59:59.999Z';
    fields.saleEndsAt = window.saleEndsAt;
    expect(moved.body).toEqual({ ...fields, status: 'ACTIVE', revision: '1', position: expect.any(String) });
    const off = await request(writeUrl, 'POST', `/api/v1/coupons/${changed}/deactivate`, { token: admin });
    expect(off.body).toEqual({ ...fields, status: 'INACTIVE', revision: '2', position: expect.any(String) });
    statuses.set(changed, 'INACTIVE');
    // Deactivated, then reactivated: ACTIVE again.
    const fixed = couponByLabel.get('fixed validity')!;
    await request(writeUrl, 'POST', `/api/v1/coupons/${fixed}/deactivate`, { token: admin });
    const on = await request(writeUrl, 'POST', `/api/v1/coupons/${fixed}/reactivate`, { token: admin });
    expect([on.status, on.body.status]).toEqual([200, 'ACTIVE']);
  });

  it('shows every coupon, order and statistic in every read model exactly as the write API answered it', async () => {
    expect(coupons.size).toBe(ACCEPTED.length);
    await waitForZeroLag(readUrl);
    const byCoupon = tally(orders.values(), (o) => o.couponId);

    const views = new Map<string, unknown>();
    for (const [couponId, fields] of coupons) {
      const counts = byCoupon.get(couponId) ?? { placed: 0, cancelled: 0, used: 0 };
      const view = await request(readUrl, 'GET', `/api/v1/coupons/${couponId}`, {
        token: tokenFor('any-reader'),
      });
      const expected = {
        ...fields,
        status: statuses.get(couponId) ?? 'ACTIVE',
        sold: counts.placed + counts.used,
        remaining: fields.totalStock - counts.placed - counts.used,
        cancelled: counts.cancelled,
        used: counts.used,
      };
      expect({ couponId, status: view.status, body: view.body }).toEqual({
        couponId,
        status: 200,
        body: expected,
      });
      views.set(couponId, expected);
    }

    // The listing, in pages, shows the same coupons, newest first, field for field.
    const listed = await allPages<{ couponId: string }>('/api/v1/coupons', tokenFor('any-reader'), 5);
    expect(listed.map((c) => c.couponId)).toEqual([...coupons.keys()].sort().reverse());
    for (const item of listed) expect(item).toEqual(views.get(item.couponId));

    // What each order's OrderPlaced fixed: the coupon's type, minimum spend and validity at placement.
    type Placed = { placedAt: string; couponType: string; minSpendCents: number; validUntil: string | null };
    const placedOf = new Map<string, Placed>();
    for (const e of await app.container.get(TOKENS.EventStore).readAll(0n, 100_000))
      if (e.type === 'OrderPlaced') {
        const d = e.data as Placed & { orderId: string };
        placedOf.set(d.orderId, d);
      }
    for (const o of orders.values()) {
      const placed = placedOf.get(o.orderId)!;
      const terms = coupons.get(o.couponId)!;
      expect([placed.couponType, placed.minSpendCents]).toEqual([terms.couponType, terms.minSpendCents]);
      expect(placed.validUntil).toBe(
        terms.validDays !== null
          ? new Date(Date.parse(placed.placedAt) + terms.validDays * 86_400_000).toISOString()
          : terms.validUntil,
      );
    }
    const orderViews = new Map<string, unknown>();
    for (const o of orders.values()) {
      const view = await request(readUrl, 'GET', `/api/v1/orders/${o.orderId}`, {
        token: tokenFor(o.userId),
      });
      expect({ orderId: o.orderId, status: view.status, body: view.body }).toEqual({
        orderId: o.orderId,
        status: 200,
        body: {
          orderId: o.orderId,
          userId: o.userId,
          couponId: o.couponId,
          status: o.status,
          placedAt: placedOf.get(o.orderId)!.placedAt,
          updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          position: o.position,
          couponType: placedOf.get(o.orderId)!.couponType,
          minSpendCents: placedOf.get(o.orderId)!.minSpendCents,
          validUntil: placedOf.get(o.orderId)!.validUntil,
          expiredAt: null,
        },
      });
      orderViews.set(o.orderId, view.body);
    }

    for (const userId of Object.values(BUYERS)) {
      const mine = [...orders.values()].filter((o) => o.userId === userId);
      const listedOrders = await allPages<{ orderId: string }>(
        `/api/v1/users/${userId}/orders`,
        tokenFor(userId),
        2,
      );
      expect({ userId, orders: listedOrders }).toEqual({
        userId,
        orders: mine
          .map((o) => o.orderId)
          .sort()
          .reverse()
          .map((id) => orderViews.get(id)),
      });
      for (const status of ['PLACED', 'CANCELLED', 'USED']) {
        const filtered = await allPages<{ orderId: string }>(
          `/api/v1/users/${userId}/orders?status=${status}`,
          admin,
          100,
        );
        expect({ userId, status, ids: filtered.map((o) => o.orderId) }).toEqual({
          userId,
          status,
          ids: mine
            .filter((o) => o.status === status)
            .map((o) => o.orderId)
            .sort()
            .reverse(),
        });
      }
      const stats = await request(readUrl, 'GET', `/api/v1/users/${userId}/coupon-stats`, {
        token: tokenFor(userId),
      });
      expect(stats.body).toEqual(expectedStats(userId, mine));
    }
  });

  it('refuses what no read model can hold with a 400 naming the field, and writes nothing', async () => {
    const refused: [field: string, body: Record<string, unknown>][] = [
      ['name', { ...base, name: '\ud800' }],
      ['name', { ...base, name: 'lone low \udc00 surrogate' }],
      ['name', { ...base, name: `${'😀'.repeat(99)}\ud83d` }],
      ['description', { ...base, description: 'text \ud800 more' }],
      ['description', { ...base, description: '\udfff' }],
      ['name', { ...base, name: 'n'.repeat(201) }],
      ['name', { ...base, name: `${'😀'.repeat(100)}a` }],
      ['description', { ...base, description: 'd'.repeat(2001) }],
      ['description', { ...base, description: `${'😀'.repeat(1000)}d` }],
      ['saleStartsAt', { ...base, saleStartsAt: '1999-12-31T23:59:59.999Z' }],
      ['saleStartsAt', { ...base, saleStartsAt: '2000-01-01T13:59:59.999+14:00' }],
      ['saleStartsAt', { ...base, saleStartsAt: '1999-12-31T23:59:59.9999Z' }],
      ['saleEndsAt', { ...base, saleEndsAt: '9999-12-31T12:00:00.000-12:00' }],
      ['saleEndsAt', { ...base, saleEndsAt: '+010000-01-01T00:00:00.000Z' }],
      ['faceValueCents', { ...base, faceValueCents: 2 ** 53 }],
      ['faceValueCents', { ...base, faceValueCents: -1 }],
      ['faceValueCents', { ...base, faceValueCents: 0.5 }],
      ['totalStock', { ...base, totalStock: 100_000_001 }],
      ['totalStock', { ...base, totalStock: 0 }],
      ['totalStock', { ...base, totalStock: 2.5 }],
      ['perUserLimit', { ...base, perUserLimit: 101 }],
      ['perUserLimit', { ...base, perUserLimit: 1.0000001 }],
      ['minAccountAgeSeconds', { ...base, minAccountAgeSeconds: MAX_MIN_ACCOUNT_AGE_SECONDS + 1 }],
      ['minAccountAgeSeconds', { ...base, minAccountAgeSeconds: -1 }],
      ['minAccountAgeSeconds', { ...base, minAccountAgeSeconds: 0.5 }],
      ['minSpendCents', { ...base, minSpendCents: 2 ** 53 }],
      ['minSpendCents', { ...base, minSpendCents: -1 }],
      ['validDays', { ...base, validDays: 3651 }],
      ['validDays', { ...base, validDays: 0 }],
      ['validUntil', { ...base, validUntil: '+010000-01-01T00:00:00.000Z' }],
      ['validUntil', { ...base, validUntil: LATEST }],
      ['validUntil', { ...base, saleEndsAt: '2030-01-01T00:00:00Z', validDays: 2, validUntil: LATEST }],
      ['saleStartsAt', { ...base, couponType: 'REGULAR' }],
      // Nothing is left of the name once trimmed.
      ['name', { ...base, name: ' \t\u3000\n ' }],
    ];
    const target = await request(writeUrl, 'POST', '/api/v1/coupons', {
      token: admin,
      body: { ...base, name: 'refusal target', totalStock: 100_000_000 },
    });
    const before = await head();
    const answers = [];
    for (const [field, body] of refused) {
      const answer = await request(writeUrl, 'POST', '/api/v1/coupons', { token: admin, body });
      const issues = (answer.body.error?.details?.issues ?? []) as { path: string }[];
      answers.push({
        field,
        sent: JSON.stringify(body[field]).slice(0, 60),
        status: answer.status,
        code: answer.body.error?.code,
        message: answer.body.error?.message,
        paths: issues.map((issue) => issue.path),
      });
    }
    for (const quantity of [100_000_001, 0, 1.5]) {
      const answer = await request(
        writeUrl,
        'POST',
        `/api/v1/coupons/${String(target.body.couponId)}/stock`,
        {
          token: admin,
          body: { quantity },
        },
      );
      const issues = (answer.body.error?.details?.issues ?? []) as { path: string }[];
      answers.push({
        field: 'quantity',
        sent: String(quantity),
        status: answer.status,
        code: answer.body.error?.code,
        message: answer.body.error?.message,
        paths: issues.map((issue) => issue.path),
      });
    }
    expect(await head()).toBe(before);
    // Each names its field, whichever layer refused it: the HTTP schema bounds and measures text as the decider does
    // (trimmed, in UTF-16 units, where zod's max() counts code points), and the decider's refusals carry issues too.
    expect(answers).toEqual(
      answers.map((a) => ({
        ...a,
        status: 400,
        code: 'VALIDATION_FAILED',
        paths: expect.arrayContaining([a.field]) as unknown,
      })),
    );
  });

  it('answers 401 on both APIs to a token whose subject is no user id, and writes nothing', async () => {
    const created = await request(writeUrl, 'POST', '/api/v1/coupons', { token: admin, body: base });
    const couponId = String(created.body.couponId);
    const placed = await request(writeUrl, 'POST', `/api/v1/seckill/${couponId}`, {
      token: tokenFor('subject-ok'),
    });
    const orderId = String(placed.body.orderId);
    const before = await head();
    for (const subject of ['s'.repeat(65), 'jöhn', '用户', 'with space', 'slash/user', '']) {
      const token = tokenFor(subject);
      const adminToken = tokenFor(subject, 'admin');
      const calls: [string, string, string, string, unknown][] = [
        [writeUrl, 'POST', `/api/v1/seckill/${couponId}`, token, undefined],
        [writeUrl, 'POST', `/api/v1/seckill/${couponId}`, token, {}],
        [writeUrl, 'POST', `/api/v1/orders/${orderId}/cancel`, token, undefined],
        [writeUrl, 'POST', `/api/v1/coupons/${couponId}/stock`, adminToken, { quantity: 1 }],
        [writeUrl, 'POST', '/api/v1/coupons', adminToken, base],
        [readUrl, 'GET', `/api/v1/coupons/${couponId}`, token, undefined],
        [readUrl, 'GET', '/api/v1/coupons', token, undefined],
        [readUrl, 'GET', `/api/v1/orders/${orderId}`, adminToken, undefined],
        [readUrl, 'GET', `/api/v1/users/${BUYERS.dotted}/orders`, adminToken, undefined],
        [readUrl, 'GET', `/api/v1/users/${BUYERS.dotted}/coupon-stats`, adminToken, undefined],
      ];
      for (const [url, method, path, bearer, body] of calls) {
        const answer = await request(url, method, path, { token: bearer, body });
        expect({ subject, path, status: answer.status, code: answer.body.error?.code }).toEqual({
          subject,
          path,
          status: 401,
          code: 'UNAUTHENTICATED',
        });
      }
    }
    expect(await head()).toBe(before);
  });

  it('answers 400 on the read API to a user id path segment that cannot be a user id', async () => {
    for (const segment of ['jöhn', '用户', encodeURIComponent('😀'), 'u'.repeat(65), '%00', 'a%20b', '%2F']) {
      for (const path of [`/api/v1/users/${segment}/orders`, `/api/v1/users/${segment}/coupon-stats`]) {
        const answer = await request(readUrl, 'GET', path, { token: admin });
        const issues = (answer.body.error?.details?.issues ?? []) as { path: string }[];
        expect({
          path,
          status: answer.status,
          code: answer.body.error?.code,
          names: issues.map((i) => i.path),
        }).toEqual({
          path,
          status: 400,
          code: 'VALIDATION_FAILED',
          names: ['userId'],
        });
      }
    }
  });

  it('keeps buyers whose ids differ only in case apart in every read model', async () => {
    // Subjects are case-sensitive (`Pair.Case:1` and `pair.case:1` are two users, with two gate entries and two
    // order shards' keys); pick a pair that the read models put on the same shard, as any two ids may be.
    const { shards } = env.config.read;
    let n = 0;
    while (shardOfKey(`Pair.Case:${n}`, shards) !== shardOfKey(`pair.case:${n}`, shards)) n += 1;
    const upper = `Pair.Case:${n}`;
    const lower = `pair.case:${n}`;
    const created = await request(writeUrl, 'POST', '/api/v1/coupons', {
      token: admin,
      body: { ...base, name: 'case pair', perUserLimit: 5 },
    });
    const couponId = String(created.body.couponId);
    const upperOrder = await buy(couponId, upper);
    await act(upperOrder, 'use');
    const lowerOrders = [await buy(couponId, lower), await buy(couponId, lower)];
    await act(lowerOrders[0]!, 'cancel');
    await waitForZeroLag(readUrl);

    // User ids are case-sensitive, so the read models compare them byte for byte (ascii_bin): under the default
    // ascii_general_ci one buyer's list showed the other's orders, and both buyers' statistics shared one row.
    const listOf = async (userId: string) =>
      (
        (
          await request(readUrl, 'GET', `/api/v1/users/${userId}/orders?limit=100`, {
            token: tokenFor(userId),
          })
        ).body.items as { orderId: string; userId: string }[]
      ).map((o) => [o.orderId, o.userId]);
    const statsOf = async (userId: string) =>
      (await request(readUrl, 'GET', `/api/v1/users/${userId}/coupon-stats`, { token: tokenFor(userId) }))
        .body;
    expect({
      upper: { orders: await listOf(upper), stats: await statsOf(upper) },
      lower: { orders: await listOf(lower), stats: await statsOf(lower) },
    }).toEqual({
      upper: {
        orders: [[upperOrder, upper]],
        stats: expectedStats(upper, [
          { orderId: upperOrder, userId: upper, couponId, status: 'USED', position: '' },
        ]),
      },
      lower: {
        orders: [...lowerOrders]
          .sort()
          .reverse()
          .map((id) => [id, lower]),
        stats: expectedStats(
          lower,
          ['PLACED', 'CANCELLED'].map((status) => ({
            orderId: '',
            userId: lower,
            couponId,
            status,
            position: '',
          })),
        ),
      },
    });
  });

  it('never answers one buyer’s idempotent seckill with another buyer’s order when user ids hold colons', async () => {
    const created = await request(writeUrl, 'POST', '/api/v1/coupons', {
      token: admin,
      body: { ...base, name: 'colon keys' },
    });
    const couponId = String(created.body.couponId);
    const first = await request(writeUrl, 'POST', `/api/v1/seckill/${couponId}`, {
      token: tokenFor('colon:a'),
      headers: { 'Idempotency-Key': 'k' },
    });
    expect([first.status, first.body.userId]).toEqual([201, 'colon:a']);
    const before = await head();
    // User ids and keys may both hold ':'; filed as `user:key`, user `colon` with key `a:k` found `colon:a`'s order
    // with key `k` and was answered with it. The gate now joins them with a newline, which neither may hold.
    const second = await request(writeUrl, 'POST', `/api/v1/seckill/${couponId}`, {
      token: tokenFor('colon'),
      headers: { 'Idempotency-Key': 'a:k' },
    });
    expect({
      status: second.status,
      replayed: second.headers.get('idempotent-replayed'),
      userId: second.body.userId,
      sameOrderAsOtherBuyer: second.body.orderId === first.body.orderId,
      wroteAnOrder: (await head()) > before,
    }).toEqual({
      status: 201,
      replayed: null,
      userId: 'colon',
      sameOrderAsOtherBuyer: false,
      wroteAnOrder: true,
    });
  });
});
