import { TOKENS } from '../bin/tokens';
import { request, tokenFor, type JsonResponse } from './support/http-client';
import { metricOf, waitFor } from './support/metrics';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';
import { MYSQL_URL } from './support/test-env';
import { startHarness, type Harness } from './support/write-api-harness';

/**
 * ARCHITECTURE invariant 4, "an event-store outage takes no stock": the writer loses the event store (a proxy between
 * the write-api and MariaDB cuts every connection and refuses new ones) in the middle of a sale. The event store's
 * circuit breaker opens, seckills are answered 503 in milliseconds instead of after the append timeout, the gate's
 * stock does not move while it is open (no false SOLD_OUT), and once the store is back the breaker's probe closes it
 * and the sale sells exactly its stock, as the event store counts it.
 */
describe('the event store taken away from the writer in the middle of a sale (real Redis and MariaDB)', () => {
  const STOCK = 60;
  const APPEND_TIMEOUT_MS = 3000;
  let proxy: TcpProxy;
  let h: Harness;

  beforeAll(async () => {
    const mysql = new URL(MYSQL_URL);
    proxy = await startTcpProxy(mysql.hostname, Number(mysql.port || 3306));
    h = await startHarness(
      {
        COUPONKILL_SECKILL_APPEND_TIMEOUT_MS: String(APPEND_TIMEOUT_MS),
        COUPONKILL_BREAKER_HALF_OPEN_AFTER_MS: '1000',
        COUPONKILL_RECONCILE_GRACE_MS: '1000',
        COUPONKILL_RECONCILE_INTERVAL_MS: '500',
      },
      (config) => {
        const url = new URL(config.eventStore.url);
        url.host = `127.0.0.1:${proxy.port}`;
        return { ...config, eventStore: { ...config.eventStore, url: url.toString() } };
      },
    );
  });
  afterAll(async () => {
    proxy.restore();
    await h.close();
    await proxy.close();
  });

  const seckill = (couponId: string, userId: string) =>
    request(h.api.url, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor(userId) });
  const breakerState = () =>
    metricOf(h.api.opsUrl, 'couponkill_circuit_breaker_state', 'dependency="event store"');
  const expectUnavailable = (response: JsonResponse) => {
    expect([response.status, response.body.error?.code]).toEqual([503, 'DEPENDENCY_UNAVAILABLE']);
    expect(response.headers.get('retry-after')).toBe('1');
  };

  it('opens the breaker, answers 503 in milliseconds taking no stock, and sells the exact stock once the store is back', async () => {
    const couponId = await h.createCoupon({ totalStock: STOCK, perUserLimit: 1 });
    const gate = h.api.container.get(TOKENS.StockGate);
    const sold = async () => (await gate.state(couponId))?.sold;
    const placed = new Set<string>();
    const buy = async (userId: string) => {
      const response = await seckill(couponId, userId);
      if (response.status === 201) placed.add(String(response.body.orderId));
      return response;
    };
    for (let i = 0; i < 20; i++) expect((await buy(`early-${i}`)).status).toBe(201);
    expect(await breakerState()).toBe(0);

    proxy.cut();
    // The first buyers find the store gone: each append fails (503) and the breaker counts the failures.
    const first: JsonResponse[] = [];
    while ((await breakerState()) !== 2) {
      first.push(await buy(`first-${first.length}`));
      expect(first.length).toBeLessThan(50);
    }
    for (const response of first) expectUnavailable(response);
    console.log(`the breaker opened after ${first.length} failed seckills`);

    const ready = await request(h.api.opsUrl, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      status: 'unavailable',
      checks: { eventStore: { status: 'down', message: expect.stringContaining('circuit breaker open') } },
      breakers: {
        'event store': { state: 'open', openedAt: expect.any(String), lastFailure: expect.any(String) },
        redis: { state: 'closed' },
      },
    });

    // While it is open: every seckill is answered at once, and none takes a unit.
    const soldWhileOpen = await sold();
    const refusedBefore =
      (await metricOf(
        h.api.opsUrl,
        'couponkill_circuit_breaker_refusals_total',
        'dependency="event store"',
      )) ?? 0;
    const burst = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const started = performance.now();
        const response = await buy(`burst-${i}`);
        return { response, ms: performance.now() - started };
      }),
    );
    for (const { response } of burst) expectUnavailable(response);
    const slowest = Math.max(...burst.map((b) => b.ms));
    console.log(`503s while the breaker is open: slowest ${slowest.toFixed(0)} ms of 100 concurrent`);
    // A request that waited for the store would take the whole append timeout; what is left is HTTP on a busy machine
    // (100 at once on two cores took 1.4 s in CI while other work ran).
    expect(slowest).toBeLessThan(APPEND_TIMEOUT_MS);
    expect(await sold()).toBe(soldWhileOpen);
    expect(
      await metricOf(h.api.opsUrl, 'couponkill_circuit_breaker_refusals_total', 'dependency="event store"'),
    ).toBeGreaterThanOrEqual(refusedBefore + 100);

    // The store comes back: the breaker's own probe closes it, with no buyer's help.
    proxy.restore();
    await waitFor('the breaker closes', async () => (await breakerState()) === 0);
    expect((await request(h.api.opsUrl, 'GET', '/readyz')).status).toBe(200);
    // The reservations of the appends that failed before it opened are settled by the reconciler.
    await waitFor(
      'the reconciler settles the failed appends',
      async () => (await gate.pendingOlderThan(couponId, Date.now() + 3_600_000, 100)).length === 0,
    );

    // Sales resume and sell exactly the stock.
    for (let wave = 0; wave < 20; wave++) {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => buy(`after-${wave}-${i}`)));
      for (const response of answers)
        expect([201, 'SOLD_OUT']).toContain(response.status === 201 ? 201 : response.body.error?.code);
      if (answers.every((r) => r.status !== 201)) break;
    }
    const stored = (await h.allEvents()).filter(
      (e) => e.type === 'OrderPlaced' && (e.data as { couponId: string }).couponId === couponId,
    );
    const storedIds = new Set(stored.map((e) => (e.data as { orderId: string }).orderId));
    expect(stored).toHaveLength(STOCK);
    expect(await sold()).toBe(STOCK);
    // Every 201 is in the event store (a 503 of the first failures may have landed all the same: the reconciler kept it).
    for (const orderId of placed) expect(storedIds.has(orderId)).toBe(true);
  });
});
