import { createConnection, type Connection } from 'mysql2/promise';
import { TOKENS } from '../bin/tokens';
import { request, tokenFor, type JsonResponse } from './support/http-client';
import { metricOf, waitFor } from './support/metrics';
import { startHarness, type Harness } from './support/write-api-harness';

/**
 * The event store's group-commit queue is bounded (COUPONKILL_EVENT_STORE_QUEUE_MAX, 5 here). A test connection holds
 * the lock of the log's head row, so the commit under way stalls and appends pile up behind it; once the queue is
 * full, seckills are answered 503 OVERLOADED with Retry-After at once instead of queueing, the shed count is on
 * /metrics, and the shed requests took no stock. When the lock goes, everything admitted is stored.
 */
describe('load shedding at the event store’s append queue (real Redis and MariaDB)', () => {
  const QUEUE_MAX = 5;
  let h: Harness;
  let blocker: Connection;

  beforeAll(async () => {
    h = await startHarness({
      COUPONKILL_EVENT_STORE_QUEUE_MAX: String(QUEUE_MAX),
      COUPONKILL_OVERLOAD_RETRY_AFTER_SECONDS: '2',
      // The stalled commit waits for the test's lock, and the appends behind it for their turn.
      COUPONKILL_EVENT_STORE_LOCK_WAIT_SECONDS: '60',
      COUPONKILL_SECKILL_APPEND_TIMEOUT_MS: '30000',
      COUPONKILL_RECONCILE_GRACE_MS: '3600000',
    });
  });
  afterAll(() => h.close());

  const seckill = (couponId: string, userId: string) =>
    request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor(userId) });
  const metric = (name: string, labels?: string) => metricOf(h.api.opsUrl, name, labels);
  const released = async () =>
    (await metric('couponkill_reservations_settled_total', 'outcome="released"')) ?? 0;
  const expectOverloaded = (response: JsonResponse) => {
    expect([response.status, response.body.error?.code]).toEqual([503, 'OVERLOADED']);
    expect(response.headers.get('retry-after')).toBe('2');
  };

  /** Holds the head row's lock: the next group commit stalls on it until `release`. */
  const holdTheHead = async () => {
    blocker = await createConnection({ uri: h.env.config.eventStore.url });
    await blocker.query('START TRANSACTION');
    await blocker.query('SELECT last_position FROM event_log_head WHERE id = 1 FOR UPDATE');
    return async () => {
      await blocker.query('ROLLBACK');
      await blocker.end();
    };
  };

  it('answers 503 OVERLOADED with Retry-After at once once the queue is full, takes no stock, and stores what it admitted', async () => {
    const couponId = await h.createCoupon({ totalStock: 100 });
    const gate = h.api.container.get(TOKENS.StockGate);
    const sold = async () => (await gate.state(couponId))?.sold;
    expect((await seckill(couponId, 'warm-up')).status).toBe(201);
    expect(await metric('couponkill_event_store_append_queue_limit')).toBe(QUEUE_MAX);

    const release = await holdTheHead();
    // One append commits (stalled on the lock), the next ones fill the queue.
    const held = Array.from({ length: 1 + QUEUE_MAX }, (_, i) => seckill(couponId, `held-${i}`));
    await waitFor(
      'the queue is full',
      async () => (await metric('couponkill_event_store_append_queue_depth')) === QUEUE_MAX,
    );
    expect(await sold()).toBe(2 + QUEUE_MAX);
    const shedBefore = (await metric('couponkill_event_store_appends_shed_total')) ?? 0;
    const releasedBefore = await released();

    const burst = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const started = performance.now();
        const response = await seckill(couponId, `shed-${i}`);
        return { response, ms: performance.now() - started };
      }),
    );
    for (const { response } of burst) expectOverloaded(response);
    const slowest = Math.max(...burst.map((b) => b.ms));
    console.log(`503 OVERLOADED with the queue full: slowest ${slowest.toFixed(0)} ms of 30 concurrent`);
    expect(slowest).toBeLessThan(1000);
    expect(await metric('couponkill_event_store_appends_shed_total')).toBe(shedBefore + 30);
    // Shed before the gate: not one unit was taken, so none had to be given back.
    expect(await sold()).toBe(2 + QUEUE_MAX);
    expect(await released()).toBe(releasedBefore);
    // A full queue is an overload, not an outage.
    expect(await metric('couponkill_circuit_breaker_state', 'dependency="event store"')).toBe(0);
    expect((await request(h.api.opsUrl, 'GET', '/readyz')).status).toBe(200);

    await release();
    for (const response of await Promise.all(held)) expect(response.status).toBe(201);
    expect(await sold()).toBe(2 + QUEUE_MAX);
    const stored = (await h.allEvents()).filter(
      (e) => e.type === 'OrderPlaced' && (e.data as { couponId: string }).couponId === couponId,
    );
    expect(stored).toHaveLength(2 + QUEUE_MAX);
  });

  it('gives back at once the units of requests shed after their reservation (the queue filled during the gate’s round trip)', async () => {
    const couponId = await h.createCoupon({ totalStock: 100 });
    const gate = h.api.container.get(TOKENS.StockGate);
    const sold = async () => (await gate.state(couponId))?.sold;
    const releasedBefore = await released();
    const release = await holdTheHead();
    // All at once against an empty queue: they pass the admission together, then the queue fills behind the first.
    const answers = Promise.all(Array.from({ length: 40 }, (_, i) => seckill(couponId, `rush-${i}`)));
    await waitFor(
      'the queue is full',
      async () => (await metric('couponkill_event_store_append_queue_depth')) === QUEUE_MAX,
    );
    await release();
    const responses = await answers;
    const placed = responses.filter((r) => r.status === 201);
    for (const response of responses) if (response.status !== 201) expectOverloaded(response);
    expect(placed.length).toBeGreaterThanOrEqual(1 + QUEUE_MAX);
    expect(placed.length).toBeLessThan(40);
    const givenBack = (await released()) - releasedBefore;
    console.log(`${40 - placed.length} shed: ${givenBack} after their reservation, the rest before it`);
    expect(givenBack).toBeGreaterThanOrEqual(1);
    // Every shed request's unit is back: the gate holds exactly the orders stored, none pending.
    expect(await sold()).toBe(placed.length);
    expect(await gate.pendingOlderThan(couponId, Date.now() + 3_600_000, 100)).toHaveLength(placed.length);
    const stored = (await h.allEvents()).filter(
      (e) => e.type === 'OrderPlaced' && (e.data as { couponId: string }).couponId === couponId,
    );
    expect(stored).toHaveLength(placed.length);
  });
});
