import { DomainError } from '../domain/shared/domain-error';
import {
  aCoupon,
  as,
  couponCreated,
  HandlerSpecification,
  loadGate,
  lost,
  orderCancelled,
  orderPlaced,
  orderUsed,
  seckillAbandoned,
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
});
