import { startRoles, type RunningProcess } from '../bin/process';
import { TOKENS } from '../bin/tokens';
import type { RecordedEvent } from '../commands/event-store-port';
import { ReservationHandlers } from '../commands/reservation-handlers';
import { request, tokenFor } from './support/http-client';
import { pool } from './support/pool';
import { readWholeLog } from './support/event-log';
import { placeReservation } from './support/reservations';
import { createTestEnv, type TestEnv } from './support/test-env';

const RESERVATIONS = 5000;
const STOCK = 1000;
const CANCELLED = 200;
const LIVE_BUYERS = 600;
const KIND_OF: Record<string, string> = {
  ReservationSucceeded: 'RESERVATION_SUCCEEDED',
  ReservationFailed: 'RESERVATION_FAILED',
  ReservationCancelled: 'RESERVATION_CANCELLED',
  ReservationExpired: 'RESERVATION_EXPIRED',
};

/**
 * The fairness rule under load, with two firers running at once: 5,000 reservations of a 1,000-unit coupon (and 100
 * of a 300-unit one) fire at the window's opening while live buyers (some of them reserved buyers too) click at the
 * same instant and keep retrying. Reserved buyers get every unit they can before any live buyer, in reservation order,
 * and each buyer is notified of how their reservation ended.
 */
describe('reservations fire first, in order, under live buyers and two firers', () => {
  let env: TestEnv;
  let app: RunningProcess;
  const firers: RunningProcess[] = [];

  beforeAll(async () => {
    env = createTestEnv({
      COUPONKILL_PROJECTION_PARTITIONS: '4',
      COUPONKILL_RESERVATION_PRIORITY_MS: '120000',
      COUPONKILL_RESERVATION_SEAL_MARGIN_MS: '300',
      COUPONKILL_RESERVATION_FIRER_POLL_MS: '50',
      COUPONKILL_RESERVATION_FIRER_PARTITIONS: '2',
      COUPONKILL_RECONCILE_GRACE_MS: '600000',
    });
    app = await startRoles(
      env.config,
      { writeApi: 0, readApi: 0, relay: true, projectors: ['reservations', 'notifications'] },
      'all-in-one',
    );
    for (let i = 0; i < 2; i++)
      firers.push(await startRoles(env.config, { firer: true, opsPort: 0 }, 'reservation-firer'));
  });
  afterAll(async () => {
    for (const firer of firers) await firer.stop();
    await app.stop();
    await env.cleanup();
  });

  it('sells the stock to the first reservations in line, then the rest to live buyers; every reservation ends', async () => {
    const writeUrl = app.urls.writeApi!;
    const store = app.container.get(TOKENS.EventStore);
    const ids = app.container.get(TOKENS.Ids);
    const admin = tokenFor('admin', 'admin');
    const startAt = Date.now() + 45_000;
    const coupon = async (totalStock: number): Promise<string> => {
      const created = await request(writeUrl, 'POST', '/api/v1/coupons', {
        token: admin,
        body: {
          name: 'drop',
          faceValueCents: 100,
          totalStock,
          perUserLimit: 1,
          saleStartsAt: new Date(startAt).toISOString(),
          saleEndsAt: new Date(startAt + 3_600_000).toISOString(),
        },
      });
      return String(created.body.couponId);
    };
    const big = await coupon(STOCK);
    const small = await coupon(300);

    const place = (couponId: string, userId: string) =>
      placeReservation(store, ids, couponId, userId, new Date(startAt));
    const reservers = Array.from({ length: RESERVATIONS }, (_, i) => `r-${i}`);
    await pool(reservers, 500, (userId) => place(big, userId));
    await pool(reservers.slice(0, 100), 100, (userId) => place(small, userId));
    // A few hundred cancel before the window, through the handler.
    const handlers = app.container.get(ReservationHandlers);
    await pool(reservers.filter((_, i) => i % 25 === 0).slice(0, CANCELLED), 50, (userId) =>
      handlers.cancel(ids.reservationId(big, userId, 0), {
        actorId: userId,
        correlationId: 'c',
        causationId: 'c',
      }),
    );
    expect(Date.now()).toBeLessThan(startAt - 2000);

    // Live buyers, 300 of them reserved buyers as well, click at the opening instant and retry until answered.
    const live = [...Array.from({ length: LIVE_BUYERS }, (_, i) => `live-${i}`), ...reservers.slice(0, 300)];
    await new Promise((r) => setTimeout(r, startAt - Date.now()));
    const answers = await pool(live, 200, async (userId, i) => {
      const couponId = i % 2 === 0 ? big : small;
      for (;;) {
        const r = await request(writeUrl, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor(userId) });
        if (r.body.error?.code !== 'SALE_NOT_STARTED')
          return { userId, couponId, status: r.status, code: r.body.error?.code };
        if (Date.now() > startAt + 240_000) throw new Error('the priority never ended');
        await new Promise((res) => setTimeout(res, 500));
      }
    });
    expect(
      answers.every((a) => a.status === 201 || ['SOLD_OUT', 'LIMIT_REACHED'].includes(a.code ?? '')),
    ).toBe(true);

    // Every reservation ends.
    let all: RecordedEvent[];
    const terminal = new Set([
      'ReservationSucceeded',
      'ReservationFailed',
      'ReservationCancelled',
      'ReservationExpired',
    ]);
    const deadline = Date.now() + 120_000;
    for (;;) {
      all = await readWholeLog(store);
      const ended = all.filter((e) => terminal.has(e.type)).length;
      if (ended === RESERVATIONS + 100) break;
      if (Date.now() > deadline) throw new Error(`only ${ended} reservations ended`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const data = (e: RecordedEvent) => e.data as Record<string, string>;
    for (const [couponId, stock, reserved] of [
      [big, STOCK, RESERVATIONS - CANCELLED],
      [small, 300, 100],
    ] as const) {
      const placed = all.filter((e) => e.type === 'OrderPlaced' && data(e).couponId === couponId);
      // Exactly the stock, counted in the event store; nobody over the per-user limit.
      expect(placed).toHaveLength(stock);
      expect(new Set(placed.map((e) => data(e).userId)).size).toBe(stock);
      const reservationOf = new Map(
        all
          .filter((e) => e.type === 'ReservationSucceeded' && data(e).couponId === couponId)
          .map((e) => [data(e).orderId, data(e).reservationId]),
      );
      const reservedOrders = placed.filter((e) => reservationOf.has(data(e).orderId));
      const liveOrders = placed.filter((e) => !reservationOf.has(data(e).orderId));
      // Every success names a distinct stored order: no reservation bought twice.
      expect(reservationOf.size).toBe(reservedOrders.length);
      expect(reservedOrders).toHaveLength(Math.min(stock, reserved));
      // Reserved buyers first: every reserved order precedes every live one in the log.
      const lastReserved = reservedOrders.at(-1)?.position ?? 0n;
      expect(liveOrders.every((e) => e.position > lastReserved)).toBe(true);
      // In reservation order: the winners are exactly the first reservations in line that were not cancelled.
      const line = all
        .filter((e) => e.type === 'ReservationPlaced' && data(e).couponId === couponId)
        .map((e) => data(e).reservationId);
      const cancelled = new Set(
        all
          .filter((e) => e.type === 'ReservationCancelled' && data(e).couponId === couponId)
          .map((e) => data(e).reservationId),
      );
      const winners = new Set(reservationOf.values());
      expect(winners).toEqual(new Set(line.filter((id) => !cancelled.has(id)).slice(0, stock)));
      // The rest failed sold out; nobody stayed pending or firing.
      const failed = all.filter((e) => e.type === 'ReservationFailed' && data(e).couponId === couponId);
      expect(failed.every((e) => data(e).code === 'SOLD_OUT')).toBe(true);
      expect(failed.length + winners.size + cancelled.size).toBe(line.length);
    }
    // Two firers, one firing per reservation: no second ReservationFiring anywhere.
    const firings = new Map<string, number>();
    for (const e of all.filter((x) => x.type === 'ReservationFiring')) {
      const id = data(e).reservationId ?? '';
      firings.set(id, (firings.get(id) ?? 0) + 1);
    }
    expect([...firings.values()].every((n) => n === 1)).toBe(true);

    // Every ending is its buyer's notification, exactly once: read back through the read API, waiting for the log's
    // last ending (read-your-writes).
    const endings = all.filter((e) => terminal.has(e.type));
    const upTo = endings.reduce((max, e) => (e.position > max ? e.position : max), 0n);
    const byBuyer = new Map<string, RecordedEvent[]>();
    for (const e of endings) byBuyer.set(data(e).userId!, [...(byBuyer.get(data(e).userId!) ?? []), e]);
    const readUrl = app.urls.readApi!;
    const missing = await pool([...byBuyer], 50, async ([userId, theirs]) => {
      const page = await request(
        readUrl,
        'GET',
        `/api/v1/notifications?limit=100&minPosition=${upTo.toString()}`,
        { token: tokenFor(userId) },
      );
      const shown = (page.body.items as { notificationId: string; kind: string }[]).map(
        (n) => `${n.notificationId} ${n.kind}`,
      );
      const expected = theirs.map((e) => `${e.metadata.eventId} ${KIND_OF[e.type]!}`);
      return shown.sort().join() === expected.sort().join() ? null : { userId, shown, expected };
    });
    expect(missing.filter((m) => m !== null)).toEqual([]);
  }, 600_000);
});
