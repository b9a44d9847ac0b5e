import { startRoles, type RunningProcess } from '../bin/process';
import { TOKENS } from '../bin/tokens';
import type { RecordedEvent } from '../commands/event-store-port';
import { PROJECTION_NAMES } from '../projections/projection';
import { request, tokenFor, type JsonResponse } from './support/http-client';
import { openStream } from './support/sse-client';
import { createTestEnv, type TestEnv } from './support/test-env';

/**
 * Reservations through both APIs on a whole system in this process (write-api, relay, projectors, read-api) and a
 * reservation firer in a process of its own (another container: its own connections, leases and clock reads).
 */
describe('reservations before a sale (real HTTP, Redis, MariaDB)', () => {
  let env: TestEnv;
  let app: RunningProcess;
  let firer: RunningProcess | null = null;
  let writeUrl: string;
  let readUrl: string;
  const admin = tokenFor('admin', 'admin');

  const startFirer = async (): Promise<void> => {
    firer = await startRoles(env.config, { firer: true, opsPort: 0 }, 'reservation-firer');
  };
  const stopFirer = async (): Promise<void> => {
    await firer?.stop();
    firer = null;
  };

  beforeAll(async () => {
    env = createTestEnv({
      COUPONKILL_PROJECTION_PARTITIONS: '4',
      COUPONKILL_RESERVATION_PRIORITY_MS: '20000',
      COUPONKILL_RESERVATION_SEAL_MARGIN_MS: '200',
      COUPONKILL_RESERVATION_FIRER_POLL_MS: '50',
      COUPONKILL_RESERVATION_FIRER_PARTITIONS: '4',
    });
    app = await startRoles(
      env.config,
      { writeApi: 0, readApi: 0, relay: true, projectors: PROJECTION_NAMES },
      'all-in-one',
    );
    writeUrl = app.urls.writeApi!;
    readUrl = app.urls.readApi!;
    await startFirer();
  });
  afterAll(async () => {
    await stopFirer();
    await app.stop();
    await env.cleanup();
  });

  const createCoupon = async (startsInMs: number, lastsMs = 3_600_000, stock = 10): Promise<string> => {
    const start = Date.now() + startsInMs;
    const created = await request(writeUrl, 'POST', '/api/v1/coupons', {
      token: admin,
      body: {
        name: 'reserved drop',
        faceValueCents: 100,
        totalStock: stock,
        perUserLimit: 1,
        saleStartsAt: new Date(start).toISOString(),
        saleEndsAt: new Date(start + lastsMs).toISOString(),
      },
    });
    expect(created.status).toBe(201);
    return String(created.body.couponId);
  };
  const reserve = (userId: string, couponId: string): Promise<JsonResponse> =>
    request(writeUrl, 'POST', '/api/v1/reservations', { token: tokenFor(userId), body: { couponId } });
  const cancel = (userId: string, reservationId: string): Promise<JsonResponse> =>
    request(writeUrl, 'DELETE', `/api/v1/reservations/${reservationId}`, { token: tokenFor(userId) });
  const readOne = (userId: string, reservationId: string, minPosition?: string): Promise<JsonResponse> =>
    request(
      readUrl,
      'GET',
      `/api/v1/reservations/${reservationId}${minPosition ? `?minPosition=${minPosition}` : ''}`,
      { token: tokenFor(userId) },
    );
  const until = async (what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const eventsOf = async (streamId: string): Promise<RecordedEvent[]> =>
    app.container.get(TOKENS.EventStore).readStream(streamId);

  it('takes one live reservation per buyer and coupon, cancels it while pending, fires it when the window opens', async () => {
    // Room for what happens before the window on a busy two-core machine.
    const couponId = await createCoupon(12_000);
    const placed = await reserve('ann', couponId);
    expect([placed.status, placed.body.error]).toEqual([201, undefined]);
    expect(placed.body).toMatchObject({ couponId, userId: 'ann', status: 'PENDING' });
    const annId = String(placed.body.reservationId);
    expect(placed.headers.get('location')).toBe(`/api/v1/reservations/${annId}`);

    const again = await reserve('ann', couponId);
    expect([again.status, again.body.error?.code, again.body.error?.details]).toEqual([
      409,
      'RESERVATION_EXISTS',
      { reservationId: annId },
    ]);
    // Racing requests of one buyer: exactly one reservation lives.
    const racing = await Promise.all(Array.from({ length: 8 }, () => reserve('bob', couponId)));
    expect(racing.filter((r) => r.status === 201)).toHaveLength(1);
    expect(racing.filter((r) => r.status === 409).map((r) => r.body.error?.code)).toEqual(
      Array.from({ length: 7 }, () => 'RESERVATION_EXISTS'),
    );
    const bobId = String(racing.find((r) => r.status === 201)!.body.reservationId);

    // Another buyer's reservation is as good as missing; the owner cancels, once; then reserves anew.
    expect((await cancel('ann', bobId)).body.error?.code).toBe('RESERVATION_NOT_FOUND');
    const cancelled = await cancel('bob', bobId);
    expect([cancelled.status, cancelled.body.status]).toEqual([200, 'CANCELLED']);
    expect((await cancel('bob', bobId)).body.error?.code).toBe('RESERVATION_ALREADY_CANCELLED');
    const bobAgain = await reserve('bob', couponId);
    expect(bobAgain.status).toBe(201);
    const bobSecondId = String(bobAgain.body.reservationId);
    expect(bobSecondId).not.toBe(bobId);

    // The read side, reading its own writes.
    const one = await readOne('ann', annId, String(placed.body.position));
    expect(one.body).toMatchObject({
      reservationId: annId,
      couponId,
      userId: 'ann',
      status: 'PENDING',
      orderId: null,
    });
    expect((await readOne('bob', annId, String(placed.body.position))).body.error?.code).toBe(
      'RESERVATION_NOT_FOUND',
    );
    const mine = await request(
      readUrl,
      'GET',
      `/api/v1/reservations?minPosition=${String(bobAgain.body.position)}`,
      {
        token: tokenFor('bob'),
      },
    );
    expect(
      (mine.body.items as { reservationId: string; status: string }[]).map((r) => [
        r.reservationId,
        r.status,
      ]),
    ).toEqual([
      [bobSecondId, 'PENDING'],
      [bobId, 'CANCELLED'],
    ]);

    // A live buyer before the window: not started.
    const early = await request(writeUrl, 'POST', `/api/v1/seckill/${couponId}`, { token: tokenFor('carl') });
    expect(early.body.error?.code).toBe('SALE_NOT_STARTED');

    await until('both reservations to succeed', async () => {
      const [a, b] = await Promise.all([readOne('ann', annId), readOne('bob', bobSecondId)]);
      return a.body.status === 'SUCCEEDED' && b.body.status === 'SUCCEEDED';
    });
    const annView = (await readOne('ann', annId)).body;
    const order = await eventsOf(`order-${String(annView.orderId)}`);
    expect(order.map((e) => e.type)).toEqual(['OrderPlaced']);
    expect(order[0]!.data).toMatchObject({ userId: 'ann', couponId });

    // What a notification needs is on the terminal event itself.
    const annEvents = await eventsOf(`reservation-${annId}`);
    expect(annEvents.map((e) => e.type)).toEqual([
      'ReservationPlaced',
      'ReservationFiring',
      'ReservationSucceeded',
    ]);
    expect(annEvents[2]!.data).toEqual({
      reservationId: annId,
      couponId,
      userId: 'ann',
      orderId: annView.orderId,
      succeededAt: expect.any(String),
    });

    // Once the window is open: no new reservation, no cancelling a fired one; live buyers buy once every
    // reservation has ended (the priority ends early).
    expect((await reserve('dora', couponId)).body.error?.code).toBe('SALE_ALREADY_STARTED');
    expect((await cancel('ann', annId)).body.error?.code).toBe('RESERVATION_NOT_PENDING');
    await until(
      'the priority to end',
      async () => {
        const live = await request(writeUrl, 'POST', `/api/v1/seckill/${couponId}`, {
          token: tokenFor('carl'),
        });
        return live.status === 201;
      },
      15_000,
    );
    // Same limits as live buyers: ann already holds her one unit.
    const annLive = await request(writeUrl, 'POST', `/api/v1/seckill/${couponId}`, {
      token: tokenFor('ann'),
    });
    expect(annLive.body.error?.code).toBe('LIMIT_REACHED');
  }, 120_000);

  it('streams each buyer the outcome of their reservation within a second of its decision, connected since before the window', async () => {
    const couponId = await createCoupon(6000, 3_600_000, 1);
    const first = await reserve('gil', couponId);
    const second = await reserve('hal', couponId);
    expect([first.status, second.status]).toEqual([201, 201]);
    const streams = await Promise.all(
      ['gil', 'hal'].map((userId) =>
        openStream(`${readUrl}/api/v1/notifications/stream`, {
          authorization: `Bearer ${tokenFor(userId)}`,
        }),
      ),
    );
    expect(streams.map((s) => s.status)).toEqual([200, 200]);
    try {
      const [gil, hal] = await Promise.all(streams.map((s) => s.until(1, 30_000)));
      // The decision is the ending event's append; its recordedAt is the store's clock, as close to it as there is.
      for (const [received, reservationId, kind] of [
        [gil![0]!, String(first.body.reservationId), 'RESERVATION_SUCCEEDED'],
        [hal![0]!, String(second.body.reservationId), 'RESERVATION_FAILED'],
      ] as const) {
        const ended = (await eventsOf(`reservation-${reservationId}`)).at(-1)!;
        const notification = JSON.parse(received.data) as Record<string, unknown>;
        expect(notification).toMatchObject({
          kind,
          notificationId: ended.metadata.eventId,
          position: ended.position.toString(),
          payload: expect.objectContaining({ reservationId, couponId }),
        });
        expect(received.at - ended.recordedAt.getTime()).toBeLessThan(1000);
      }
      expect(JSON.parse(hal![0]!.data)).toMatchObject({ payload: { code: 'SOLD_OUT' } });
    } finally {
      for (const s of streams) s.close();
    }
  }, 60_000);

  it('expires a reservation whose coupon closed before its window, and one whose window ended before a firer came', async () => {
    const closing = await createCoupon(1500);
    const closed = await reserve('erin', closing);
    expect(closed.status).toBe(201);
    expect(
      (await request(writeUrl, 'POST', `/api/v1/coupons/${closing}/close`, { token: admin })).status,
    ).toBe(200);
    await until('the reservation of a closed coupon to expire', async () => {
      const view = await readOne('erin', String(closed.body.reservationId));
      return view.body.status === 'EXPIRED' && view.body.code === 'COUPON_CLOSED';
    });

    await stopFirer();
    const brief = await createCoupon(1500, 1000);
    const late = await reserve('finn', brief);
    expect(late.status).toBe(201);
    await new Promise((r) => setTimeout(r, 3000));
    await startFirer();
    await until('the reservation to expire', async () => {
      const view = await readOne('finn', String(late.body.reservationId));
      return view.body.status === 'EXPIRED' && view.body.code === 'SALE_ENDED';
    });
    const expired = (await eventsOf(`reservation-${String(late.body.reservationId)}`)).at(-1)!;
    expect(expired).toMatchObject({
      type: 'ReservationExpired',
      data: { reservationId: late.body.reservationId, couponId: brief, userId: 'finn', reason: 'SALE_ENDED' },
    });
  }, 120_000);

  it('refuses what cannot be reserved', async () => {
    const open = await createCoupon(-1000);
    expect((await reserve('gus', open)).body.error?.code).toBe('SALE_ALREADY_STARTED');
    expect((await reserve('gus', '00000000-0000-7000-8000-000000000000')).body.error?.code).toBe(
      'COUPON_NOT_FOUND',
    );
    expect((await reserve('gus', 'nope')).body.error?.code).toBe('VALIDATION_FAILED');
    expect(
      (await request(writeUrl, 'POST', '/api/v1/reservations', { body: { couponId: open } })).body.error
        ?.code,
    ).toBe('UNAUTHENTICATED');
  });
});
