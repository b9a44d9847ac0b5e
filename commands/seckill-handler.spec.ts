import { DomainError } from '../domain/shared/domain-error';
import {
  aCoupon,
  as,
  at,
  couponClosed,
  couponCreated,
  eventStoreDown,
  HandlerSpecification,
  loadGate,
  lost,
  orderCancelled,
  orderPlaced,
  redisDown,
  reserved,
  seckillAbandoned,
  SPEC_NOW,
  type World,
} from '../test/support/handler-specification';
import { GATE_KEYS } from '../test/support/in-memory/in-memory-stock-gate';
import { CircuitOpenError, DependencyUnavailableError } from './dependency-error';
import { GateRecoveringError } from './gate-recovery';
import { OverloadedError } from './overloaded-error';
import { SeckillInProgressError, SeckillRefusedError } from './seckill-errors';
import { AppendDeadlineError } from './event-store-port';
import { idempotencyField } from './stock-gate-port';

const coupon = aCoupon({ couponId: 'c-1', totalStock: 3, perUserLimit: 1 });
const { couponId } = coupon;
const spec = HandlerSpecification.for();

const seckill =
  (userId: string, idempotencyKey: string | null = null) =>
  (w: World) =>
    w.seckill.handle({ couponId, userId, idempotencyKey, registeredAtMs: null }, as(userId));

const order = (orderId: string, userId: string) => ({ orderId, couponId, userId });

describe('SeckillHandler', () => {
  it('places an order: OrderPlaced with the idempotency key, the new order answered, its reservation pending', () =>
    spec
      .given(couponCreated(coupon), loadGate)
      .when(seckill('u-1', 'k-1'))
      .then({
        events: [orderPlaced(order('o-1', 'u-1'), 'k-1')],
        result: {
          orderId: 'o-1',
          couponId,
          userId: 'u-1',
          status: 'PLACED',
          position: '2',
          replayed: false,
        },
        gate: {
          [couponId]: {
            status: 'active',
            totalStock: 3,
            sold: 1,
            buyers: { 'u-1': ['o-1'] },
            idempotencyKeys: { [idempotencyField('u-1', 'k-1')]: 'o-1' },
            pending: ['o-1'],
          },
        },
        and: (_, [placed]) =>
          expect(placed?.metadata).toEqual({
            eventId: 'id-1',
            correlationId: 'req-1',
            causationId: 'req-1',
            userId: 'u-1',
            occurredAt: SPEC_NOW.toISOString(),
          }),
      }));

  it('answers a retry with the same idempotency key with the order already placed, appending nothing', () =>
    spec
      .given(couponCreated(coupon), orderPlaced(order('o-a', 'u-1'), 'k-1'), loadGate)
      .when(seckill('u-1', 'k-1'))
      .then({
        events: [],
        result: {
          orderId: 'o-a',
          couponId,
          userId: 'u-1',
          status: 'PLACED',
          position: '2',
          replayed: true,
        },
        gate: {
          [couponId]: {
            status: 'active',
            totalStock: 3,
            sold: 1,
            buyers: { 'u-1': ['o-a'] },
            idempotencyKeys: { [idempotencyField('u-1', 'k-1')]: 'o-a' },
            pending: [],
          },
        },
      }));

  it('replays an order cancelled since with its status now', () =>
    spec
      .given(
        couponCreated(coupon),
        orderPlaced(order('o-a', 'u-1'), 'k-1'),
        orderCancelled(order('o-a', 'u-1')),
        loadGate,
      )
      .when(seckill('u-1', 'k-1'))
      .then({
        events: [],
        result: expect.objectContaining({ orderId: 'o-a', status: 'CANCELLED', replayed: true }),
      }));

  it('answers SECKILL_IN_PROGRESS while the first request with the same key is still being stored', () =>
    spec
      .given(
        couponCreated(coupon),
        loadGate,
        reserved({ couponId, userId: 'u-1', orderId: 'o-a', idempotencyKey: 'k-1' }),
      )
      .when(seckill('u-1', 'k-1'))
      .thenThrows(SeckillInProgressError, { orderId: 'o-a' }));

  it('refuses a buyer at the limit with the orders they hold', () =>
    spec
      .given(couponCreated(coupon), orderPlaced(order('o-a', 'u-1')), loadGate)
      .when(seckill('u-1'))
      .thenThrows(
        SeckillRefusedError,
        { code: 'LIMIT_REACHED', orderIds: ['o-a'] },
        { gate: { [couponId]: expect.objectContaining({ sold: 1, pending: [] }) } },
      ));

  it('refuses once the stock is sold', () =>
    spec
      .given(
        couponCreated({ ...coupon, totalStock: 2 }),
        orderPlaced(order('o-a', 'u-a')),
        orderPlaced(order('o-b', 'u-b')),
        loadGate,
      )
      .when(seckill('u-c'))
      .thenThrows(
        SeckillRefusedError,
        { code: 'SOLD_OUT', orderIds: [] },
        { gate: { [couponId]: expect.objectContaining({ sold: 2 }) } },
      ));

  it('refuses before the sale starts', () =>
    spec
      .given(couponCreated(coupon), loadGate, at('2026-06-01T10:59:59.999Z'))
      .when(seckill('u-1'))
      .thenThrows(SeckillRefusedError, { code: 'SALE_NOT_STARTED' }));

  it('refuses from the moment the sale ends', () =>
    spec
      .given(couponCreated(coupon), loadGate, at(coupon.saleEndsAt))
      .when(seckill('u-1'))
      .thenThrows(SeckillRefusedError, { code: 'SALE_ENDED' }));

  it('refuses on a closed coupon', () =>
    spec
      .given(couponCreated(coupon), couponClosed(couponId), loadGate)
      .when(seckill('u-1'))
      .thenThrows(SeckillRefusedError, { code: 'COUPON_CLOSED' }));

  describe('on a coupon with an account-age rule (minAccountAgeSeconds)', () => {
    const aged = { ...coupon, minAccountAgeSeconds: 3600 };
    const buyer = (registeredAtMs: number | null) => (w: World) =>
      w.seckill.handle({ couponId, userId: 'u-1', idempotencyKey: null, registeredAtMs }, as('u-1'));

    it('refuses an account younger than the rule, taking no stock', () =>
      spec
        .given(couponCreated(aged), loadGate)
        .when(buyer(SPEC_NOW.getTime() - 3_599_000))
        .thenThrows(
          SeckillRefusedError,
          { code: 'ACCOUNT_TOO_NEW' },
          { gate: { [couponId]: expect.objectContaining({ sold: 0, pending: [] }) } },
        ));

    it('refuses a token that does not say when its account was made', () =>
      spec
        .given(couponCreated(aged), loadGate)
        .when(buyer(null))
        .thenThrows(SeckillRefusedError, { code: 'ACCOUNT_TOO_NEW' }));

    it('sells to an account exactly as old as the rule', () =>
      spec
        .given(couponCreated(aged), loadGate)
        .when(buyer(SPEC_NOW.getTime() - 3_600_000))
        .then({
          events: [orderPlaced(order('o-1', 'u-1'))],
          result: expect.objectContaining({ orderId: 'o-1', couponId, userId: 'u-1', replayed: false }),
          gate: { [couponId]: expect.objectContaining({ sold: 1, buyers: { 'u-1': ['o-1'] } }) },
        }));
  });

  it('answers COUPON_NOT_FOUND for a coupon neither the gate nor the event store knows', () =>
    spec
      .given(loadGate)
      .when(seckill('u-1'))
      .thenThrows(DomainError, { code: 'COUPON_NOT_FOUND' }, { gate: { [couponId]: null } }));

  it('sells a coupon the gate never held once it is recovered from the event store', () =>
    spec
      .given(couponCreated(coupon), orderPlaced(order('o-a', 'u-a')))
      .when(seckill('u-1'))
      .then({
        events: [orderPlaced(order('o-1', 'u-1'))],
        result: expect.objectContaining({ orderId: 'o-1', status: 'PLACED', position: '3' }),
        gate: {
          [couponId]: {
            status: 'active',
            totalStock: 3,
            sold: 2,
            buyers: { 'u-1': ['o-1'], 'u-a': ['o-a'] },
            idempotencyKeys: {},
            pending: ['o-1'],
          },
        },
        and: async (w) => expect(await w.gate.isInitialised()).toBe(true),
      }));

  describe('on a damaged coupon', () => {
    const soldOut = couponCreated({ ...coupon, totalStock: 2 });

    it.each(GATE_KEYS)(
      'that lost its %s key, recovers it from the events first and oversells nothing',
      (key) =>
        spec
          .given(
            soldOut,
            orderPlaced(order('o-a', 'u-a'), 'k-a'),
            orderPlaced(order('o-b', 'u-b')),
            loadGate,
            lost(couponId, key),
          )
          .when(seckill('u-c'))
          .thenThrows(
            SeckillRefusedError,
            { code: 'SOLD_OUT' },
            {
              gate: {
                [couponId]: {
                  status: 'active',
                  totalStock: 2,
                  sold: 2,
                  buyers: { 'u-a': ['o-a'], 'u-b': ['o-b'] },
                  idempotencyKeys: { [idempotencyField('u-a', 'k-a')]: 'o-a' },
                  pending: [],
                },
              },
            },
          ),
    );

    it('that lost every key, recovers it and sells what is left', () =>
      spec
        .given(couponCreated(coupon), orderPlaced(order('o-a', 'u-a')), loadGate, lost(couponId))
        .when(seckill('u-c'))
        .then({
          events: [orderPlaced(order('o-1', 'u-c'))],
          result: expect.objectContaining({ orderId: 'o-1', replayed: false }),
          gate: {
            [couponId]: expect.objectContaining({ sold: 2, buyers: { 'u-a': ['o-a'], 'u-c': ['o-1'] } }),
          },
        }));

    it('recovers the buyers it lost, so a buyer at the limit stays there', () =>
      spec
        .given(couponCreated(coupon), orderPlaced(order('o-a', 'u-a')), loadGate, lost(couponId, 'buyers'))
        .when(seckill('u-a'))
        .thenThrows(SeckillRefusedError, { code: 'LIMIT_REACHED', orderIds: ['o-a'] }));

    it('keeps the unit of a reservation whose append is still in flight', () =>
      spec
        .given(
          couponCreated({ ...coupon, totalStock: 1 }),
          loadGate,
          reserved({ couponId, userId: 'u-a', orderId: 'o-a' }),
          lost(couponId, 'buyers'),
        )
        .when(seckill('u-c'))
        .thenThrows(
          SeckillRefusedError,
          { code: 'SOLD_OUT' },
          { gate: { [couponId]: expect.objectContaining({ sold: 1, pending: ['o-a'] }) } },
        ));

    it('answers GATE_RECOVERING while another process recovers it, selling nothing', () =>
      spec
        .given(couponCreated(coupon), loadGate, (w: World) =>
          w.gate.beginRecovery(couponId, 'other', w.clock.nowMs(), w.clock.nowMs() + 60_000, 0),
        )
        .when(seckill('u-1'))
        .thenThrows(
          GateRecoveringError,
          { couponId },
          { gate: { [couponId]: expect.objectContaining({ status: 'rebuilding', sold: 0 }) } },
        ));

    it('takes over the recovery of a process whose lease ran out, answering GATE_RECOVERING meanwhile', () =>
      spec
        .given(couponCreated(coupon), orderPlaced(order('o-a', 'u-a')), loadGate, (w: World) =>
          w.gate.beginRecovery(couponId, 'crashed', w.clock.nowMs() - 60_000, w.clock.nowMs() - 1, 0),
        )
        .when(seckill('u-1'))
        .thenThrows(
          GateRecoveringError,
          { couponId },
          { gate: { [couponId]: expect.objectContaining({ status: 'active', sold: 1 }) } },
        ));
  });

  describe('when the append fails', () => {
    const fenced = {
      events: [seckillAbandoned(order('o-1', 'u-1'), 'append failed')],
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
      and: (w: World, [abandoned]: readonly { metadata: { userId: string } }[]) => {
        expect(w.settlements).toEqual(['released']);
        expect(abandoned?.metadata.userId).toBe('system');
      },
    };

    it('for any other reason: the same, reported as the event store being unavailable', () =>
      spec
        .given(couponCreated(coupon), loadGate, (w: World) =>
          w.store.failNextAppend(
            (_, events) => events[0]?.type === 'OrderPlaced',
            () => new Error('disk full'),
          ),
        )
        .when(seckill('u-1', 'k-1'))
        .thenThrows(
          DependencyUnavailableError,
          { dependency: 'event store', cause: expect.objectContaining({ message: 'disk full' }) },
          fenced,
        ));

    it('and the fence fails too: the reservation stays pending for the reconciler', () =>
      spec
        .given(couponCreated(coupon), loadGate, (w: World) => {
          w.store.failNextAppend((_, events) => events[0]?.type === 'OrderPlaced');
          w.store.failNextAppend((_, events) => events[0]?.type === 'SeckillAbandoned');
        })
        .when(seckill('u-1'))
        .thenThrows(
          DependencyUnavailableError,
          {},
          {
            events: [],
            gate: { [couponId]: expect.objectContaining({ sold: 1, pending: ['o-1'] }) },
            and: (w) =>
              expect(w.logger.messages('warn')).toContain(
                'could not settle reservation now; the reconciler will',
              ),
          },
        ));
  });

  describe('when the event store cannot take an append now, it is asked before the gate', () => {
    const untouched = {
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
      // Nothing was reserved, so nothing had to be given back.
      and: (w: World) => expect(w.settlements).toEqual([]),
    };

    it('its circuit breaker is open: answers 503 at once and takes no stock', () =>
      spec
        .given(couponCreated(coupon), loadGate, eventStoreDown)
        .when(seckill('u-1', 'k-1'))
        .thenThrows(
          CircuitOpenError,
          {
            dependency: 'event store',
            message: expect.stringContaining('circuit breaker open') as unknown,
          },
          untouched,
        ));

    it('its append queue is full: answers OVERLOADED with its Retry-After and takes no stock', () =>
      spec
        .given(couponCreated(coupon), loadGate, (w: World) => w.store.fillAppendQueue(2))
        .when(seckill('u-1', 'k-1'))
        .thenThrows(OverloadedError, { retryAfterSeconds: 2 }, untouched));

    it("and sells again once the breaker's probe finds the store back", () =>
      HandlerSpecification.for({ breaker: { halfOpenAfterMs: 20 } })
        .given(couponCreated(coupon), loadGate, eventStoreDown, (w: World) => {
          w.store.reconnect();
          return new Promise((resolve) => setTimeout(resolve, 50));
        })
        .when(seckill('u-1'))
        .then({
          events: [orderPlaced(order('o-1', 'u-1'))],
          result: expect.objectContaining({ orderId: 'o-1', status: 'PLACED' }),
          gate: { [couponId]: expect.objectContaining({ sold: 1, pending: ['o-1'] }) },
          and: (w) => expect(w.storeBreaker.state).toBe('closed'),
        }));
  });

  describe('when the append is refused unsent after the reservation (the gate answered first)', () => {
    const released = {
      // No fence: nothing was sent, so no OrderPlaced can land later.
      events: [],
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
      and: (w: World) => expect(w.settlements).toEqual(['released']),
    };

    it('by a queue that filled meanwhile: gives the unit back at once and answers OVERLOADED', () =>
      spec
        .given(couponCreated(coupon), loadGate, (w: World) =>
          w.store.failNextAppend(
            (_, events) => events[0]?.type === 'OrderPlaced',
            () => new OverloadedError('event store append queue', 1),
          ),
        )
        .when(seckill('u-1', 'k-1'))
        .thenThrows(OverloadedError, {}, released));

    it('by its deadline passing in the queue: an overload, not an outage; the unit goes back at once, no fence', () =>
      HandlerSpecification.for({ seckill: { appendTimeoutMs: -1 } })
        .given(couponCreated(coupon), loadGate)
        .when(seckill('u-1', 'k-1'))
        .thenThrows(AppendDeadlineError, { resource: 'event store append queue' }, released));

    it('by a breaker that opened meanwhile: gives the unit back at once and answers 503', () =>
      spec
        .given(couponCreated(coupon), loadGate, (w: World) =>
          w.store.failNextAppend(
            (_, events) => events[0]?.type === 'OrderPlaced',
            () => new CircuitOpenError('event store', 'connect ECONNREFUSED'),
          ),
        )
        .when(seckill('u-1', 'k-1'))
        .thenThrows(CircuitOpenError, { dependency: 'event store' }, released));
  });

  it("answers 503 at once when Redis's circuit breaker is open, asking neither the gate nor the store", () =>
    spec
      .given(couponCreated(coupon), loadGate, redisDown)
      .when(seckill('u-1'))
      .thenThrows(
        CircuitOpenError,
        { dependency: 'redis' },
        { and: (w) => expect(w.storeBreaker.state).toBe('closed') },
      ));
});
