import { GateRecovery } from '../commands/gate-recovery';
import { GateSync } from '../commands/gate-sync';
import { ReservationSettlement } from '../commands/reservation-settlement';
import { createConnection } from 'mysql2/promise';
import { ReservationReconciler } from '../commands/reservation-reconciler';
import { TOKENS } from '../bin/tokens';
import { CircuitBreakers } from '../infra/resilience/circuit-breakers';
import { waitFor } from './support/metrics';
import { envOf, freePort, startCliServer } from './support/child-process';
import { request, tokenFor } from './support/http-client';
import { startHarness, type Harness } from './support/write-api-harness';

describe('reservations that never reach the event store', () => {
  let h: Harness;
  beforeAll(async () => {
    // The background reconciler is slowed right down: these tests drive sweeps themselves.
    h = await startHarness({ COUPONKILL_RECONCILE_INTERVAL_MS: '3600000' });
  });
  afterAll(() => h.close());

  const sweepNow = () =>
    new ReservationReconciler(
      h.api.container.get(TOKENS.StockGate),
      h.api.container.get(ReservationSettlement),
      h.api.container.get(GateSync),
      h.api.container.get(GateRecovery),
      { now: () => new Date(Date.now() + 3_600_000) },
      h.api.container.get(TOKENS.Logger),
      { graceMs: 0, intervalMs: 1000, batchSize: 3, couponSyncEvery: 1 },
    ).sweep();
  const countOf = async (couponId: string, type: string) =>
    (await h.allEvents()).filter(
      (e) => e.type === type && (e.data as { couponId: string }).couponId === couponId,
    ).length;
  const seckill = (couponId: string, userId: string, baseUrl = h.api.url) =>
    request(baseUrl, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor(userId) });

  it('returns exactly the units whose appends failed, and keeps the rest', async () => {
    const couponId = await h.createCoupon({ totalStock: 50 });
    for (let i = 0; i < 10; i++) expect((await seckill(couponId, `ok-${i}`)).status).toBe(201);

    const admin = await createConnection({ uri: h.env.config.eventStore.url });
    await admin.query('RENAME TABLE events TO events_offline');
    try {
      const failed = await Promise.all(
        Array.from({ length: 7 }, (_, i) => seckill(couponId, `unlucky-${i}`)),
      );
      for (const response of failed) {
        expect(response.status).toBe(503);
        expect(response.body.error?.code).toBe('DEPENDENCY_UNAVAILABLE');
        expect(JSON.stringify(response.body)).not.toMatch(/at .*\.ts|stack/i);
      }
      expect((await h.api.container.get(TOKENS.StockGate).state(couponId))?.sold).toBe(17);
    } finally {
      await admin.query('RENAME TABLE events_offline TO events');
      await admin.end();
    }
    // The failures may have opened the event store's breaker: it refuses every call until its probe closes it.
    await waitFor("the event store's breaker is closed", () =>
      Promise.resolve(h.api.container.get(CircuitBreakers).reports()['event store']?.state === 'closed'),
    );

    await sweepNow();
    const gate = await h.api.container.get(TOKENS.StockGate).state(couponId);
    expect(gate?.sold).toBe(10);
    expect([...(gate?.buyers.keys() ?? [])].every((u) => u.startsWith('ok-'))).toBe(true);
    expect(await countOf(couponId, 'OrderPlaced')).toBe(10);
    expect(await countOf(couponId, 'SeckillAbandoned')).toBe(7);
    expect(
      await h.api.container.get(TOKENS.StockGate).pendingOlderThan(couponId, Date.now() + 3_600_000, 100),
    ).toEqual([]);
    // The released units sell again.
    expect((await seckill(couponId, 'unlucky-0')).status).toBe(201);
  });

  it('returns the units of a write-api killed between reservation and append', async () => {
    const couponId = await h.createCoupon({ totalStock: 20 });
    const port = await freePort();
    const child = await startCliServer(
      ['write-api', '--port', String(port)],
      envOf(h.env.config, {
        COUPONKILL_RECONCILE_INTERVAL_MS: '3600000',
        COUPONKILL_EVENT_STORE_LOCK_WAIT_SECONDS: '120',
      }),
      `http://127.0.0.1:${port}/healthz`,
    );
    const childUrl = `http://127.0.0.1:${port}`;
    expect((await seckill(couponId, 'before-crash', childUrl)).status).toBe(201);

    // Hold the event store's head lock so the child's appends stall after their reservations are made.
    const blocker = await createConnection({ uri: h.env.config.eventStore.url });
    await blocker.query('START TRANSACTION');
    await blocker.query('SELECT last_position FROM event_log_head WHERE id = 1 FOR UPDATE');
    const inFlight = Array.from({ length: 5 }, (_, i) =>
      seckill(couponId, `doomed-${i}`, childUrl).catch(() => null),
    );
    const gate = h.api.container.get(TOKENS.StockGate);
    for (let i = 0; i < 100 && (await gate.state(couponId))?.sold !== 6; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect((await gate.state(couponId))?.sold).toBe(6);

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await Promise.all(inFlight);
    await blocker.query('ROLLBACK');
    await blocker.end();

    const report = await sweepNow();
    expect(report.released).toBe(5);
    expect((await gate.state(couponId))?.sold).toBe(1);
    expect(await countOf(couponId, 'OrderPlaced')).toBe(1);
    expect(await countOf(couponId, 'SeckillAbandoned')).toBe(5);
  });

  it('keeps a reservation whose order did land, even when the reconciler races the writer', async () => {
    const couponId = await h.createCoupon({ totalStock: 5 });
    const responses = await Promise.all(Array.from({ length: 5 }, (_, i) => seckill(couponId, `racer-${i}`)));
    const sweeps = await Promise.all([sweepNow(), sweepNow(), sweepNow()]);
    expect(responses.every((r) => r.status === 201)).toBe(true);
    expect(sweeps.reduce((n, s) => n + s.released, 0)).toBe(0);
    expect((await h.api.container.get(TOKENS.StockGate).state(couponId))?.sold).toBe(5);
  });
});
