import type { AnyDomainEvent } from '../domain/domain-events';
import type { ReservationEvent } from '../domain/reservation/reservation-events';
import { systemContext, withMetadata } from './command-context';
import { ReservationFiring, type QueuedReservation } from './reservation-firing';
import {
  aCoupon,
  couponCreated,
  couponDeactivated,
  loadGate,
  orderPlaced,
  SPEC_NOW,
  streamOf,
  World,
} from '../test/support/handler-specification';

const coupon = aCoupon({ couponId: 'c-1', totalStock: 2 });
const placed = (n: number): ReservationEvent => ({
  type: 'ReservationPlaced',
  schemaVersion: 1,
  data: {
    reservationId: `r-${n}`,
    couponId: 'c-1',
    userId: `u-${n}`,
    reservedAt: '2026-06-01T10:00:00.000Z',
    accountRegisteredAt: null,
  },
});
const firingEvent = (n: number, orderId: string): ReservationEvent => ({
  type: 'ReservationFiring',
  schemaVersion: 1,
  data: {
    reservationId: `r-${n}`,
    couponId: 'c-1',
    userId: `u-${n}`,
    orderId,
    attempt: 1,
    firingAt: SPEC_NOW.toISOString(),
  },
});
const queued = (n: number): QueuedReservation => ({
  reservationId: `r-${n}`,
  couponId: 'c-1',
  userId: `u-${n}`,
  placedPosition: BigInt(n),
});

const given = async (world: World, events: AnyDomainEvent[]): Promise<void> => {
  for (const event of events)
    await world.store.append(
      streamOf(event),
      withMetadata([event], systemContext('given'), world.clock.now(), () => world.ids.newId()),
      'any',
    );
};
const typesOf = async (world: World, stream: string): Promise<string[]> =>
  (await world.store.readStream(stream)).map((e) => e.type);
const ordersPlaced = async (world: World): Promise<Record<string, unknown>[]> =>
  (await world.store.readAll(0n, 1000))
    .filter((e) => e.type === 'OrderPlaced')
    .map((e) => e.data as Record<string, unknown>);

const setUp = async (
  created: AnyDomainEvent = couponCreated(coupon),
): Promise<{ world: World; firing: ReservationFiring }> => {
  const world = new World();
  await given(world, [created, placed(1), placed(2), placed(3)]);
  await loadGate(world);
  const firing = new ReservationFiring(
    world.store,
    world.seckill,
    world.settlement,
    world.clock,
    world.ids,
    world.logger,
  );
  return { world, firing };
};

describe('ReservationFiring', () => {
  it('buys in line order with the live rules: the stock to the first in line, SOLD_OUT to the rest', async () => {
    const { world, firing } = await setUp();
    const result = await firing.fire('c-1', [queued(1), queued(2), queued(3)]);
    expect(result.counts).toMatchObject({ succeeded: 2, failed: 1 });
    expect(await typesOf(world, 'reservation-r-1')).toEqual([
      'ReservationPlaced',
      'ReservationFiring',
      'ReservationSucceeded',
    ]);
    expect(await typesOf(world, 'reservation-r-3')).toEqual([
      'ReservationPlaced',
      'ReservationFiring',
      'ReservationFailed',
    ]);
    expect((await ordersPlaced(world)).map((o) => o.userId)).toEqual(['u-1', 'u-2']);
    expect((await world.store.readStream('reservation-r-3')).at(-1)?.data).toMatchObject({
      code: 'SOLD_OUT',
    });
  });

  it('never fires an ended reservation again', async () => {
    const { world, firing } = await setUp();
    await firing.fire('c-1', [queued(1)]);
    const again = await firing.fire('c-1', [queued(1)]);
    expect(again.counts).toMatchObject({ already_ended: 1, succeeded: 0 });
    expect(await ordersPlaced(world)).toHaveLength(1);
  });

  it('after a crash with the order stored: SUCCEEDED with that order, nothing bought again', async () => {
    const { world, firing } = await setUp();
    await world.gate.reserve({
      couponId: 'c-1',
      userId: 'u-1',
      orderId: 'o-crash',
      idempotencyKey: 'reservation:r-1',
      nowMs: SPEC_NOW.getTime(),
      registeredAtMs: null,
    });
    await given(world, [
      firingEvent(1, 'o-crash'),
      orderPlaced({ orderId: 'o-crash', couponId: 'c-1', userId: 'u-1' }, 'reservation:r-1'),
    ]);
    const result = await firing.fire('c-1', [queued(1)]);
    expect(result.counts.succeeded).toBe(1);
    expect((await world.store.readStream('reservation-r-1')).at(-1)?.data).toMatchObject({
      orderId: 'o-crash',
    });
    expect(await ordersPlaced(world)).toHaveLength(1);
  });

  it('after a crash between the gate and the order: fences that order, releases its unit, fires again with a new one', async () => {
    const { world, firing } = await setUp();
    await world.gate.reserve({
      couponId: 'c-1',
      userId: 'u-1',
      orderId: 'o-crash',
      idempotencyKey: 'reservation:r-1',
      nowMs: SPEC_NOW.getTime(),
      registeredAtMs: null,
    });
    await given(world, [firingEvent(1, 'o-crash')]);
    const first = await firing.fire('c-1', [queued(1)]);
    expect(first.later).toEqual(['r-1']);
    expect(await typesOf(world, 'order-o-crash')).toEqual(['SeckillAbandoned']);
    const second = await firing.fire('c-1', [queued(1)]);
    expect(second.counts.succeeded).toBe(1);
    const events = await world.store.readStream('reservation-r-1');
    expect(events.map((e) => e.type)).toEqual([
      'ReservationPlaced',
      'ReservationFiring',
      'ReservationFiring',
      'ReservationSucceeded',
    ]);
    expect(events[2]?.data).toMatchObject({ attempt: 2 });
    const orders = await ordersPlaced(world);
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ userId: 'u-1' });
    expect((await world.gate.state('c-1'))?.sold).toBe(1);
  });

  it('two firers on the same batch at once: each reservation fired once, bought once', async () => {
    const { world, firing } = await setUp();
    const other = new ReservationFiring(
      world.store,
      world.seckill,
      world.settlement,
      world.clock,
      world.ids,
      world.logger,
    );
    await Promise.all([
      firing.fire('c-1', [queued(1), queued(2), queued(3)]),
      other.fire('c-1', [queued(1), queued(2), queued(3)]),
    ]);
    for (const n of [1, 2, 3])
      expect(
        (await typesOf(world, `reservation-r-${n}`)).filter((t) => t === 'ReservationFiring'),
      ).toHaveLength(1);
    expect(await ordersPlaced(world)).toHaveLength(2);
  });

  it('expires a pending reservation whose window ended', async () => {
    const { world, firing } = await setUp();
    world.clock.set(coupon.saleEndsAt);
    const result = await firing.fire('c-1', [queued(1)]);
    expect(result.counts.expired).toBe(1);
    expect((await world.store.readStream('reservation-r-1')).at(-1)).toMatchObject({
      type: 'ReservationExpired',
      data: { reason: 'SALE_ENDED', reservationId: 'r-1', couponId: 'c-1', userId: 'u-1' },
    });
  });

  it("places orders with the coupon's terms, as a live buyer's order carries them", async () => {
    const { world, firing } = await setUp(couponCreated({ ...coupon, minSpendCents: 5000, validDays: 7 }));
    await firing.fire('c-1', [queued(1)]);
    expect(await ordersPlaced(world)).toEqual([
      expect.objectContaining({
        userId: 'u-1',
        couponType: 'SECKILL',
        minSpendCents: 5000,
        validUntil: new Date(world.clock.now().getTime() + 7 * 86_400_000).toISOString(),
      }),
    ]);
  });

  it('expires the reservations of a coupon deactivated when its window is open', async () => {
    const { world, firing } = await setUp();
    await given(world, [couponDeactivated('c-1')]);
    const result = await firing.fire('c-1', [queued(1), queued(2)]);
    expect(result.counts.expired).toBe(2);
    expect((await world.store.readStream('reservation-r-2')).at(-1)).toMatchObject({
      type: 'ReservationExpired',
      data: { reason: 'COUPON_INACTIVE' },
    });
    expect(await ordersPlaced(world)).toEqual([]);
  });
});
