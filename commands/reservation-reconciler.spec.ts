import { orderStreamId } from '../domain/order/order-events';
import {
  aCoupon,
  couponCreated,
  HandlerSpecification,
  landsFirst,
  loadGate,
  lost,
  orderPlaced,
  reserved,
  seckillAbandoned,
  SPEC_NOW,
  type World,
} from '../test/support/handler-specification';
import { GATE_KEYS } from '../test/support/in-memory/in-memory-stock-gate';
import { idempotencyField, type GateCoupon } from './stock-gate-port';

/** The world's reconciler: 5 s grace, pages of 2, coupons synced on every sweep. */
const GRACE_MS = 5000;
const coupon = aCoupon({ couponId: 'c-1', totalStock: 3, perUserLimit: 1 });
const { couponId } = coupon;
const spec = HandlerSpecification.for({ reconciler: { graceMs: GRACE_MS } });

const ago = (ms: number) => new Date(SPEC_NOW.getTime() - ms);
const stale = ago(GRACE_MS + 1000);
const order = (orderId: string, userId: string) => ({ orderId, couponId, userId });
const sweep = (w: World) => w.reconciler.sweep();

describe('ReservationReconciler', () => {
  it('keeps a stale reservation whose order is stored, confirming it', () =>
    spec
      .given(
        couponCreated(coupon),
        loadGate,
        reserved({ couponId, userId: 'u-a', orderId: 'o-a', at: stale }),
        orderPlaced(order('o-a', 'u-a')),
      )
      .when(sweep)
      .then({
        events: [],
        result: { kept: 1, released: 0 },
        gate: {
          [couponId]: {
            status: 'active',
            totalStock: 3,
            sold: 1,
            buyers: { 'u-a': ['o-a'] },
            idempotencyKeys: {},
            pending: [],
          },
        },
      }));

  it('fences a stale reservation whose order never arrived (SeckillAbandoned) and releases its unit', () =>
    spec
      .given(
        couponCreated(coupon),
        loadGate,
        reserved({ couponId, userId: 'u-b', orderId: 'o-b', idempotencyKey: 'k-b', at: stale }),
      )
      .when(sweep)
      .then({
        events: [seckillAbandoned(order('o-b', 'u-b'), 'reservation expired')],
        result: { kept: 0, released: 1 },
        gate: {
          [couponId]: {
            status: 'active',
            totalStock: 3,
            sold: 0,
            buyers: {},
            idempotencyKeys: {},
            pending: [],
          },
        },
        and: (w, [abandoned]) => {
          expect(abandoned?.metadata).toMatchObject({ userId: 'system', correlationId: 'o-b' });
          expect(w.logger.messages('info')).toContain(
            'released reservations that never reached the event store',
          );
        },
      }));

  it('leaves a reservation younger than the grace period alone', () =>
    spec
      .given(
        couponCreated(coupon),
        loadGate,
        reserved({ couponId, userId: 'u-c', orderId: 'o-c', at: ago(GRACE_MS - 1) }),
      )
      .when(sweep)
      .then({
        events: [],
        result: { kept: 0, released: 0 },
        gate: { [couponId]: expect.objectContaining({ sold: 1, pending: ['o-c'] }) },
      }));

  it('settles a reservation exactly as old as the grace period', () =>
    spec
      .given(
        couponCreated(coupon),
        loadGate,
        reserved({ couponId, userId: 'u-c', orderId: 'o-c', at: ago(GRACE_MS) }),
      )
      .when(sweep)
      .then({
        events: [seckillAbandoned(order('o-c', 'u-c'), 'reservation expired')],
        result: { kept: 0, released: 1 },
      }));

  it('keeps a reservation whose order lands just before the fence: the fence loses and nothing is released', () =>
    spec
      .given(
        couponCreated(coupon),
        loadGate,
        reserved({ couponId, userId: 'u-l', orderId: 'o-late', at: stale }),
        landsFirst(
          { streamId: orderStreamId('o-late'), type: 'SeckillAbandoned' },
          orderPlaced(order('o-late', 'u-l')),
        ),
      )
      .when(sweep)
      .then({
        events: [orderPlaced(order('o-late', 'u-l'))],
        result: { kept: 1, released: 0 },
        gate: {
          [couponId]: expect.objectContaining({ sold: 1, buyers: { 'u-l': ['o-late'] }, pending: [] }),
        },
      }));

  it('settles every stale reservation, page by page', () =>
    spec
      .given(
        couponCreated({ ...coupon, totalStock: 10 }),
        loadGate,
        ...['1', '2', '3', '4', '5'].map((n) =>
          reserved({ couponId, userId: `u-${n}`, orderId: `o-${n}`, at: ago(GRACE_MS + Number(n)) }),
        ),
        orderPlaced(order('o-2', 'u-2')),
        orderPlaced(order('o-4', 'u-4')),
      )
      .when(sweep)
      .then({
        // Oldest first: o-5, o-4, o-3, o-2, o-1.
        events: [
          seckillAbandoned(order('o-5', 'u-5'), 'reservation expired'),
          seckillAbandoned(order('o-3', 'u-3'), 'reservation expired'),
          seckillAbandoned(order('o-1', 'u-1'), 'reservation expired'),
        ],
        result: { kept: 2, released: 3 },
        gate: {
          [couponId]: expect.objectContaining({
            sold: 2,
            buyers: { 'u-2': ['o-2'], 'u-4': ['o-4'] },
            pending: [],
          }),
        },
      }));

  describe('on a damaged coupon', () => {
    it.each(GATE_KEYS)('that lost its %s key, recovers it from the event store', (key) =>
      spec
        .given(
          couponCreated(coupon),
          orderPlaced(order('o-a', 'u-a'), 'k-a'),
          orderPlaced(order('o-b', 'u-b')),
          loadGate,
          lost(couponId, key),
        )
        .when(sweep)
        .then({
          events: [],
          result: { kept: 0, released: 0 },
          gate: {
            [couponId]: {
              status: 'active',
              totalStock: 3,
              sold: 2,
              buyers: { 'u-a': ['o-a'], 'u-b': ['o-b'] },
              idempotencyKeys: { [idempotencyField('u-a', 'k-a')]: 'o-a' },
              pending: [],
            },
          },
        }),
    );

    it('keeps a stale reservation pending through the recovery and releases it on the next sweep', () =>
      spec
        .given(
          couponCreated(coupon),
          orderPlaced(order('o-a', 'u-a')),
          loadGate,
          reserved({ couponId, userId: 'u-x', orderId: 'o-x', at: stale }),
          lost(couponId, 'buyers'),
        )
        .when(async (w) => {
          const first = await w.reconciler.sweep();
          await w.idle();
          const recovered = await w.gateView(couponId);
          const second = await w.reconciler.sweep();
          return { released: first.released + second.released, recovered };
        })
        .then({
          events: [seckillAbandoned(order('o-x', 'u-x'), 'reservation expired')],
          result: {
            released: 1,
            // Recovered: o-a from the event store, o-x kept from the gate's pending reservations.
            recovered: expect.objectContaining({
              status: 'active',
              sold: 2,
              buyers: { 'u-a': ['o-a'], 'u-x': ['o-x'] },
              pending: ['o-x'],
            }),
          },
          gate: {
            [couponId]: expect.objectContaining({
              status: 'active',
              sold: 1,
              buyers: { 'u-a': ['o-a'] },
              pending: [],
            }),
          },
        }));
  });

  it('recovers the whole gate when Redis lost everything, registry and initialised marker included', () =>
    spec
      .given(
        couponCreated(coupon),
        orderPlaced(order('o-a', 'u-a')),
        couponCreated({ ...coupon, couponId: 'c-2', totalStock: 5 }),
        loadGate,
        (w: World) => w.gate.loseEverything(),
      )
      .when(sweep)
      .then({
        events: [],
        gate: {
          [couponId]: expect.objectContaining({ status: 'active', sold: 1, buyers: { 'u-a': ['o-a'] } }),
          'c-2': expect.objectContaining({ status: 'active', totalStock: 5, sold: 0 }),
        },
        and: async (w) => {
          expect(await w.gate.isInitialised()).toBe(true);
          expect((await w.gate.couponIds()).sort()).toEqual([couponId, 'c-2']);
        },
      }));

  it('recovers a coupon it synced before whose keys and registry entry are gone while the gate stays initialised', () =>
    spec
      .given(
        couponCreated(coupon),
        orderPlaced(order('o-a', 'u-a')),
        loadGate,
        sweep,
        // What neither the registry nor a scan shows: an eviction, or a loss racing a rebuild that marked the gate.
        (w: World) => w.gate.forget(couponId),
      )
      .when(sweep)
      .then({
        events: [],
        gate: {
          [couponId]: expect.objectContaining({ status: 'active', sold: 1, buyers: { 'u-a': ['o-a'] } }),
        },
        and: async (w) => {
          expect(await w.gate.isInitialised()).toBe(true);
          expect(await w.gate.couponIds()).toEqual([couponId]);
        },
      }));

  it('forgets, on a full recovery, gate keys of a coupon the event store does not know', () => {
    const ghost: GateCoupon = {
      couponId: 'c-ghost',
      revision: 0n,
      totalStock: 1,
      perUserLimit: 1,
      minAccountAgeSeconds: 0,
      saleStartsAtMs: 0,
      saleEndsAtMs: Number.MAX_SAFE_INTEGER,
      closed: false,
      couponType: 'SECKILL',
      deactivated: false,
      minSpendCents: 0,
      validDays: null,
      validUntilMs: null,
    };
    return spec
      .given(couponCreated(coupon), (w: World) => w.gate.createCoupon(ghost))
      .when(sweep)
      .then({
        events: [],
        gate: { [couponId]: expect.objectContaining({ sold: 0 }), 'c-ghost': null },
        and: async (w) => expect(await w.gate.scanCouponIds()).toEqual([couponId]),
      });
  });
});
