import type { OrderEvent } from '../domain/order/order-events';
import { DomainError } from '../domain/shared/domain-error';
import {
  aCoupon,
  as,
  at,
  couponCreated,
  HandlerSpecification,
  loadGate,
  lost,
  orderCancelled,
  orderPlaced,
  orderUsed,
  seckillAbandoned,
  SPEC_NOW,
  type GateView,
  type World,
} from '../test/support/handler-specification';
import { DependencyUnavailableError } from './dependency-error';

const coupon = aCoupon({ couponId: 'c-1', totalStock: 1, perUserLimit: 1 });
const { couponId } = coupon;
const ref = { orderId: 'o-a', couponId, userId: 'u-1' };
const spec = HandlerSpecification.for();

const cancel =
  (byUserId = 'u-1', orderId = 'o-a') =>
  (w: World) =>
    w.orders.cancel(orderId, as(byUserId));
const use =
  (byUserId = 'u-1', orderId = 'o-a') =>
  (w: World) =>
    w.orders.use(orderId, as(byUserId));

/** The gate holding o-a for u-1: the coupon's one unit. */
const heldView: GateView = {
  status: 'active',
  totalStock: 1,
  sold: 1,
  buyers: { 'u-1': ['o-a'] },
  idempotencyKeys: {},
  pending: [],
};
const returnedView: GateView = { ...heldView, sold: 0, buyers: {} };
const held = { [couponId]: heldView };
const returned = { [couponId]: returnedView };

describe('OrderHandlers', () => {
  describe('cancel', () => {
    it('cancels the owner’s order and returns its unit to the gate, where it sells again', () =>
      spec
        .given(couponCreated(coupon), orderPlaced(ref), loadGate)
        .when(cancel())
        .then({
          events: [orderCancelled(ref)],
          result: { orderId: 'o-a', couponId, userId: 'u-1', status: 'CANCELLED', position: '3' },
          gate: returned,
          and: async (w, [cancelled]) => {
            expect(cancelled?.metadata).toMatchObject({ userId: 'u-1', correlationId: 'req-1' });
            const again = await w.seckill.handle(
              { couponId, userId: 'u-2', idempotencyKey: null, registeredAtMs: null },
              as('u-2'),
            );
            expect(again).toMatchObject({ status: 'PLACED', replayed: false });
          },
        }));

    it('refuses an order already used, keeping its unit', () =>
      spec
        .given(couponCreated(coupon), orderPlaced(ref), orderUsed(ref), loadGate)
        .when(cancel())
        .thenThrows(DomainError, { code: 'ORDER_ALREADY_USED' }, { gate: held }));

    it('refuses an order already cancelled, returning nothing twice', () =>
      spec
        .given(couponCreated(coupon), orderPlaced(ref), orderCancelled(ref), loadGate)
        .when(cancel())
        .thenThrows(DomainError, { code: 'ORDER_ALREADY_CANCELLED' }, { gate: returned }));

    it('refuses up front while the gate cannot be reached, storing nothing', () =>
      spec
        .given(couponCreated(coupon), orderPlaced(ref), loadGate, (w: World) => w.gate.setReachable(false))
        .when(cancel())
        .thenThrows(
          DependencyUnavailableError,
          { dependency: 'redis' },
          {
            and: async (w) => {
              w.gate.setReachable(true);
              expect(await w.gateView(couponId)).toEqual(heldView);
            },
          },
        ));

    it('stores the cancellation on a damaged gate, whose recovery then reads it from the event store', () =>
      spec
        .given(couponCreated(coupon), orderPlaced(ref), loadGate, lost(couponId, 'buyers'))
        .when(cancel())
        .then({ events: [orderCancelled(ref)], gate: returned }));
  });

  describe('use', () => {
    it('uses the owner’s order, which keeps its unit', () =>
      spec
        .given(couponCreated(coupon), orderPlaced(ref), loadGate)
        .when(use())
        .then({
          events: [orderUsed(ref)],
          result: { orderId: 'o-a', couponId, userId: 'u-1', status: 'USED', position: '3' },
          gate: held,
        }));

    it('refuses a cancelled order', () =>
      spec
        .given(couponCreated(coupon), orderPlaced(ref), orderCancelled(ref), loadGate)
        .when(use())
        .thenThrows(DomainError, { code: 'ORDER_CANCELLED' }, { gate: returned }));

    it('refuses an order already used', () =>
      spec
        .given(couponCreated(coupon), orderPlaced(ref), orderUsed(ref), loadGate)
        .when(use())
        .thenThrows(DomainError, { code: 'ORDER_ALREADY_USED' }));
  });

  describe.each([
    ['cancel', cancel],
    ['use', use],
  ] as const)('%s', (_, command) => {
    it('refuses another user’s order as NOT_ORDER_OWNER, changing nothing', () =>
      spec
        .given(couponCreated(coupon), orderPlaced(ref), loadGate)
        .when(command('u-2'))
        .thenThrows(DomainError, { code: 'NOT_ORDER_OWNER', details: { orderId: 'o-a' } }, { gate: held }));

    it('answers ORDER_NOT_FOUND for an order that does not exist', () =>
      spec
        .given(couponCreated(coupon), loadGate)
        .when(command('u-1', 'o-missing'))
        .thenThrows(DomainError, { code: 'ORDER_NOT_FOUND' }));

    it('answers ORDER_NOT_FOUND for a seckill that was abandoned', () =>
      spec
        .given(couponCreated(coupon), seckillAbandoned(ref, 'append failed'), loadGate)
        .when(command())
        .thenThrows(DomainError, { code: 'ORDER_NOT_FOUND' }));
  });

  it('stores exactly one of a cancel and a use sent at once, and refuses the other on the order as it then is', () =>
    spec
      .given(couponCreated(coupon), orderPlaced(ref), loadGate)
      .when(async (w) => Promise.allSettled([cancel()(w), use()(w)]))
      .then({
        events: [expect.objectContaining({ streamId: 'order-o-a' })],
        and: async (w, [winner], [cancelled, used]) => {
          if (winner?.type === 'OrderCancelled') {
            expect(cancelled.status).toBe('fulfilled');
            expect(used).toMatchObject({ status: 'rejected', reason: { code: 'ORDER_CANCELLED' } });
            expect(await w.gateView(couponId)).toEqual(returnedView);
          } else {
            expect(winner?.type).toBe('OrderUsed');
            expect(used.status).toBe('fulfilled');
            expect(cancelled).toMatchObject({ status: 'rejected', reason: { code: 'ORDER_ALREADY_USED' } });
            expect(await w.gateView(couponId)).toEqual(heldView);
          }
        },
      }));

  describe('validity and usage rules', () => {
    // Placed at SPEC_NOW (12:00) with a minimum spend of 50.00, valid until 18:00.
    const validUntil = '2026-06-01T18:00:00.000Z';
    const ruled: OrderEvent = {
      type: 'OrderPlaced',
      schemaVersion: 2,
      data: {
        ...ref,
        idempotencyKey: null,
        placedAt: SPEC_NOW.toISOString(),
        couponType: 'REGULAR',
        minSpendCents: 5000,
        validUntil,
      },
    };
    const expired: OrderEvent = {
      type: 'OrderExpired',
      schemaVersion: 1,
      data: { ...ref, expiredAt: validUntil, validUntil },
    };
    const useFor =
      (amountCents: number | null) =>
      (w: World): Promise<unknown> =>
        w.orders.use('o-a', as('u-1'), amountCents);

    it('uses an order on an amount of at least its minimum spend, recording the amount', () =>
      spec
        .given(couponCreated(coupon), ruled, loadGate)
        .when(useFor(5000))
        .then({
          events: [
            {
              type: 'OrderUsed',
              schemaVersion: 2,
              data: { ...ref, usedAt: SPEC_NOW.toISOString(), amountCents: 5000 },
            },
          ],
          result: { orderId: 'o-a', couponId, userId: 'u-1', status: 'USED', position: '3' },
        }));

    it('refuses an amount under the minimum spend as MIN_SPEND_NOT_MET, storing nothing', () =>
      spec
        .given(couponCreated(coupon), ruled, loadGate)
        .when(useFor(4999))
        .thenThrows(DomainError, {
          code: 'MIN_SPEND_NOT_MET',
          details: { minSpendCents: 5000, amountCents: 4999 },
        }));

    it('refuses a use without an amount when the order has a minimum spend, naming amountCents', () =>
      spec
        .given(couponCreated(coupon), ruled, loadGate)
        .when(useFor(null))
        .thenThrows(DomainError, {
          code: 'VALIDATION_FAILED',
          details: { issues: [{ path: 'amountCents', message: expect.any(String) as string }] },
        }));

    it('refuses a use after the validity ended, before any expiry is stored', () =>
      spec
        .given(couponCreated(coupon), ruled, loadGate, at(validUntil))
        .when(useFor(5000))
        .thenThrows(DomainError, { code: 'ORDER_EXPIRED', details: { orderId: 'o-a', validUntil } }));

    it('refuses to cancel an order whose validity ended, and its unit stays sold', () =>
      spec
        .given(couponCreated(coupon), ruled, loadGate, at(validUntil))
        .when(cancel())
        .thenThrows(DomainError, { code: 'ORDER_EXPIRED' }, { gate: held }));

    it('refuses to cancel or use an expired order', async () => {
      await spec
        .given(couponCreated(coupon), ruled, expired, loadGate)
        .when(cancel())
        .thenThrows(DomainError, { code: 'ORDER_EXPIRED' }, { gate: held });
      await spec
        .given(couponCreated(coupon), ruled, expired, loadGate)
        .when(useFor(5000))
        .thenThrows(DomainError, { code: 'ORDER_EXPIRED' });
    });

    it('expires the order once its validity ended; its unit is not returned', () =>
      spec
        .given(couponCreated(coupon), ruled, loadGate, at(validUntil))
        .when((w) => w.orders.expire('o-a'))
        .then({
          events: [expired],
          result: 'appended',
          gate: held,
          and: (_w, [stored]) => expect(stored?.metadata.userId).toBe('system'),
        }));

    it('expires nothing before the validity ends, nor twice, nor a used order', async () => {
      await spec
        .given(couponCreated(coupon), ruled, loadGate, at('2026-06-01T17:59:59.999Z'))
        .when((w) => w.orders.expire('o-a'))
        .then({ events: [], result: 'unchanged' });
      await spec
        .given(couponCreated(coupon), ruled, expired, at('2026-06-02T00:00:00.000Z'))
        .when((w) => w.orders.expire('o-a'))
        .then({ events: [], result: 'unchanged' });
      await spec
        .given(couponCreated(coupon), ruled, orderUsed(ref), at(validUntil))
        .when((w) => w.orders.expire('o-a'))
        .then({ events: [], result: 'unchanged' });
      await spec
        .given(couponCreated(coupon), at(validUntil))
        .when((w) => w.orders.expire('o-missing'))
        .then({ events: [], result: 'unchanged' });
    });

    it('notices a coming expiry once', async () => {
      const noticed: OrderEvent = {
        type: 'OrderExpiryNoticed',
        schemaVersion: 1,
        data: { ...ref, noticedAt: '2026-06-01T17:00:00.000Z', validUntil },
      };
      await spec
        .given(couponCreated(coupon), ruled, at('2026-06-01T17:00:00.000Z'))
        .when((w) => w.orders.noticeExpiry('o-a', 3_600_000))
        .then({ events: [noticed], result: 'appended' });
      await spec
        .given(couponCreated(coupon), ruled, noticed, at('2026-06-01T17:30:00.000Z'))
        .when((w) => w.orders.noticeExpiry('o-a', 3_600_000))
        .then({ events: [], result: 'unchanged' });
      await spec
        .given(couponCreated(coupon), ruled, at('2026-06-01T16:59:59.999Z'))
        .when((w) => w.orders.noticeExpiry('o-a', 3_600_000))
        .then({ events: [], result: 'unchanged' });
    });

    it('stores exactly one expiry of two decided at once', () =>
      spec
        .given(couponCreated(coupon), ruled, at(validUntil))
        .when((w) => Promise.all([w.orders.expire('o-a'), w.orders.expire('o-a')]))
        .then({
          events: [expired],
          and: (_w, _appended, outcomes) => expect([...outcomes].sort()).toEqual(['appended', 'unchanged']),
        }));

    it('stores exactly one notice of two decided at once', () =>
      spec
        .given(couponCreated(coupon), ruled, at('2026-06-01T17:00:00.000Z'))
        .when((w) =>
          Promise.all([w.orders.noticeExpiry('o-a', 3_600_000), w.orders.noticeExpiry('o-a', 3_600_000)]),
        )
        .then({
          events: [expect.objectContaining({ type: 'OrderExpiryNoticed' })],
          and: (_w, _appended, outcomes) => expect([...outcomes].sort()).toEqual(['appended', 'unchanged']),
        }));

    it('lets an expiry racing a use (decided before validUntil) end in exactly one of them', () =>
      spec
        .given(couponCreated(coupon), ruled, loadGate)
        .when(async (w) => {
          // The use is decided at 17:59:59.999; the expiry, at 18:00, is decided on the same revision.
          w.clock.set('2026-06-01T17:59:59.999Z');
          const using = w.orders.use('o-a', as('u-1'), 5000);
          w.clock.set(validUntil);
          return Promise.allSettled([using, w.orders.expire('o-a')]);
        })
        .then({
          events: [expect.objectContaining({ streamId: 'order-o-a' })],
          and: (_w, [winner], [used, expiry]) => {
            if (winner?.type === 'OrderUsed') {
              expect(used.status).toBe('fulfilled');
              expect(expiry).toEqual({ status: 'fulfilled', value: 'unchanged' });
            } else {
              expect(winner?.type).toBe('OrderExpired');
              expect(used).toMatchObject({ status: 'rejected', reason: { code: 'ORDER_EXPIRED' } });
              expect(expiry).toEqual({ status: 'fulfilled', value: 'appended' });
            }
          },
        }));
  });
});
