import { setTimeout as sleep } from 'node:timers/promises';
import { TOKENS } from '../bin/tokens';
import type { RecordedEvent } from '../commands/event-store-port';
import { request, tokenFor, type JsonResponse } from './support/http-client';
import { startHarness, type Harness } from './support/write-api-harness';

const WRITERS = 50;

/** What the test keeps of an answer: enough to judge it and to show it when it is wrong. */
interface Answer {
  readonly status: number;
  readonly code: string | undefined;
  readonly retryAfter: string | null;
  readonly body: JsonResponse['body'];
}

const answerOf = (response: JsonResponse): Answer => ({
  status: response.status,
  code: response.body.error?.code,
  retryAfter: response.headers.get('retry-after'),
  body: response.body,
});

/** Counts of `status code` over the answers, for failure messages and for the report in the test log. */
const histogram = (answers: readonly Answer[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const key = `${a.status} ${a.code ?? ''}`.trim();
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};

/** A lost race is a 409 CONCURRENCY_CONFLICT that tells the caller when to come back; anything else is not one. */
const isConflict = (a: Answer): boolean =>
  a.status === 409 &&
  a.code === 'CONCURRENCY_CONFLICT' &&
  a.retryAfter !== null &&
  /^\d+$/.test(a.retryAfter);

/** Starts every writer at once (after all are queued), and keeps each answer with its writer's index. */
const race = <T>(count: number, writer: (i: number) => Promise<T>): Promise<T[]> =>
  Promise.all(Array.from({ length: count }, (_, i) => Promise.resolve().then(() => writer(i))));

/**
 * A concurrency conflict is never a 500: 50 writers race on one stream of each kind (coupon, order, user) against
 * the real write-api, Redis and MariaDB. Each answer is the command's success, a domain refusal, or 409
 * CONCURRENCY_CONFLICT with Retry-After once the jittered retries give up; the event store then holds exactly what
 * the successful answers said and nothing of the refused ones, and the stock gate agrees with it.
 */
describe('concurrency conflicts on one stream (50 writers, real write-api, Redis and MariaDB)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const streamEvents = async (streamId: string): Promise<RecordedEvent[]> =>
    (await h.allEvents()).filter((e) => e.streamId === streamId);

  const addStock = (couponId: string, quantity: number): Promise<Answer> =>
    request(h.api.url, 'POST', `/api/v1/coupons/${couponId}/stock`, {
      token: h.adminToken,
      body: { quantity },
    }).then(answerOf);

  const close = (couponId: string): Promise<Answer> =>
    request(h.api.url, 'POST', `/api/v1/coupons/${couponId}/close`, { token: h.adminToken }).then(answerOf);

  it('adds stock from 50 concurrent admins: each 200 or 409 CONCURRENCY_CONFLICT, the store holding exactly the 200s', async () => {
    const initial = 10;
    const couponId = await h.createCoupon({ totalStock: initial });
    const answers = await race(WRITERS, async (i) => ({
      quantity: i + 1,
      ...(await addStock(couponId, i + 1)),
    }));

    const odd = answers.filter((a) => a.status !== 200 && !isConflict(a));
    expect({ odd, histogram: histogram(answers) }).toEqual({
      odd: [],
      histogram: expect.any(Object) as unknown,
    });
    const accepted = answers.filter((a) => a.status === 200);
    expect(accepted.length).toBeGreaterThan(0);

    const added = (await streamEvents(`coupon-${couponId}`)).filter((e) => e.type === 'CouponStockAdded');
    const data = added.map((e) => e.data as { quantity: number; totalStock: number });
    // One event per 200, of its quantity; a 409 wrote nothing.
    expect(data.map((d) => d.quantity).sort((a, b) => a - b)).toEqual(
      accepted.map((a) => a.quantity).sort((a, b) => a - b),
    );
    const sum = accepted.reduce((total, a) => total + a.quantity, 0);
    expect(data.at(-1)?.totalStock).toBe(initial + sum);
    // Each event's running total follows from the one before it, and each 200 answered its own event's total.
    data.reduce((total, d) => {
      expect(d.totalStock).toBe(total + d.quantity);
      return d.totalStock;
    }, initial);
    expect(accepted.map((a) => a.body.totalStock).sort()).toEqual(data.map((d) => d.totalStock).sort());
    expect((await h.api.container.get(TOKENS.StockGate).state(couponId))?.totalStock).toBe(initial + sum);
  });

  it.each([
    ['all at once', 0],
    ['with the uses 50 ms behind', 50],
  ])(
    'cancels or uses one order from 50 concurrent requests of its owner (%s): exactly one 200 and two events',
    async (_label, useDelayMs) => {
      const couponId = await h.createCoupon({ totalStock: 5 });
      const owner = tokenFor('order-racer');
      const placed = await request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, { token: owner });
      expect(placed.status).toBe(201);
      const orderId = String(placed.body.orderId);

      const answers = await race(WRITERS, async (i) => {
        const action = i % 2 === 0 ? 'cancel' : 'use';
        if (action === 'use' && useDelayMs > 0) await sleep(useDelayMs);
        const response = await request(h.api.url, 'POST', `/api/v1/orders/${orderId}/${action}`, {
          token: owner,
        });
        return { action, ...answerOf(response) };
      });

      const refusals = new Set(['ORDER_ALREADY_CANCELLED', 'ORDER_ALREADY_USED', 'ORDER_CANCELLED']);
      const odd = answers.filter(
        (a) => a.status !== 200 && !isConflict(a) && !(a.status === 409 && refusals.has(a.code ?? '')),
      );
      expect({ odd, histogram: histogram(answers) }).toEqual({
        odd: [],
        histogram: expect.any(Object) as unknown,
      });
      const winners = answers.filter((a) => a.status === 200);
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      const status = winner.action === 'cancel' ? 'CANCELLED' : 'USED';
      expect(winner.body).toMatchObject({ orderId, status });
      // Every refusal names what the winner did.
      const expectedRefusal = (action: string): string =>
        status === 'CANCELLED'
          ? action === 'cancel'
            ? 'ORDER_ALREADY_CANCELLED'
            : 'ORDER_CANCELLED'
          : 'ORDER_ALREADY_USED';
      for (const a of answers.filter((x) => x.status === 409 && x.code !== 'CONCURRENCY_CONFLICT'))
        expect([a.action, a.code]).toEqual([a.action, expectedRefusal(a.action)]);

      const events = await streamEvents(`order-${orderId}`);
      expect(events.map((e) => e.type)).toEqual([
        'OrderPlaced',
        status === 'CANCELLED' ? 'OrderCancelled' : 'OrderUsed',
      ]);
      // A cancellation gave its unit back to the gate, once.
      expect((await h.api.container.get(TOKENS.StockGate).state(couponId))?.sold).toBe(
        status === 'CANCELLED' ? 0 : 1,
      );
    },
  );

  it('registers one username from 50 concurrent requests: exactly one 201 and one UserRegistered', async () => {
    const username = 'racing-name';
    const answers = await race(WRITERS, async (i) =>
      answerOf(
        await request(h.api.url, 'POST', '/api/v1/users', {
          // Spelled differently, normalised to the same name.
          body: {
            username: i % 3 === 0 ? username.toUpperCase() : ` ${username} `,
            password: `password-${i}`,
          },
        }),
      ),
    );

    const odd = answers.filter(
      (a) => a.status !== 201 && !isConflict(a) && !(a.status === 409 && a.code === 'USERNAME_TAKEN'),
    );
    expect({ odd, histogram: histogram(answers) }).toEqual({
      odd: [],
      histogram: expect.any(Object) as unknown,
    });
    const created = answers.filter((a) => a.status === 201);
    expect(created).toHaveLength(1);
    expect(created[0]!.body).toEqual({ userId: expect.any(String), username });

    const registered = (await h.allEvents()).filter(
      (e) => e.type === 'UserRegistered' && (e.data as { username: string }).username === username,
    );
    expect(registered).toHaveLength(1);
    expect((registered[0]!.data as { userId: string }).userId).toBe(created[0]!.body.userId);
  });

  it('races closing against adding stock: one close, no stock after it, and 409 COUPON_CLOSED once closed', async () => {
    const initial = 10;
    const couponId = await h.createCoupon({ totalStock: initial });
    // The closers start a few milliseconds behind, so that some stock lands before the close and some is still
    // retrying its conflicts when it does.
    const answers = await race(WRITERS, async (i) => {
      if (i % 5 !== 2)
        return { kind: 'stock' as const, quantity: i + 1, ...(await addStock(couponId, i + 1)) };
      await sleep(5 + i);
      return { kind: 'close' as const, quantity: 0, ...(await close(couponId)) };
    });

    const odd = answers.filter(
      (a) => a.status !== 200 && !isConflict(a) && !(a.status === 409 && a.code === 'COUPON_CLOSED'),
    );
    expect({ odd, histogram: histogram(answers) }).toEqual({
      odd: [],
      histogram: expect.any(Object) as unknown,
    });
    const closes = answers.filter((a) => a.kind === 'close' && a.status === 200);
    const stocked = answers.filter((a) => a.kind === 'stock' && a.status === 200);

    const events = await streamEvents(`coupon-${couponId}`);
    const closedEvents = events.filter((e) => e.type === 'CouponClosed');
    const closedAtRevision = closedEvents[0]?.revision;
    // Whether a close got through or every closer lost its races, the store agrees with the answers.
    expect(closedEvents).toHaveLength(closes.length);
    expect(closes.length).toBeLessThanOrEqual(1);
    if (closedAtRevision !== undefined) {
      expect(events.at(-1)?.type).toBe('CouponClosed');
      expect(closes[0]!.body).toMatchObject({ couponId, status: 'CLOSED' });
    }
    const added = events
      .filter((e) => e.type === 'CouponStockAdded')
      .map((e) => e.data as { quantity: number; totalStock: number });
    expect(added.map((d) => d.quantity).sort((a, b) => a - b)).toEqual(
      stocked.map((a) => a.quantity).sort((a, b) => a - b),
    );
    const sum = stocked.reduce((total, a) => total + a.quantity, 0);
    expect(added.at(-1)?.totalStock ?? initial).toBe(initial + sum);
    expect((await h.api.container.get(TOKENS.StockGate).state(couponId))?.totalStock).toBe(initial + sum);

    // Closed now, whoever won the race: more stock and more buyers are refused, and nothing more is written.
    if (closedAtRevision === undefined) expect((await close(couponId)).status).toBe(200);
    const countBefore = (await h.allEvents()).length;
    const late = await addStock(couponId, 1);
    expect([late.status, late.code]).toEqual([409, 'COUPON_CLOSED']);
    const buyer = await request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, {
      token: tokenFor('late-buyer'),
    });
    expect([buyer.status, buyer.body.error?.code]).toEqual([409, 'COUPON_CLOSED']);
    expect((await h.allEvents()).length).toBe(countBefore);
  });
});
