import { systemContext, withMetadata, type CommandContext } from '../../commands/command-context';
import { CouponHandlers } from '../../commands/coupon-handlers';
import type { RecordedEvent } from '../../commands/event-store-port';
import { GateRecovery, type GateRecoveryOptions } from '../../commands/gate-recovery';
import { GateSync } from '../../commands/gate-sync';
import { OrderHandlers } from '../../commands/order-handlers';
import { ReservationReconciler, type ReconcilerOptions } from '../../commands/reservation-reconciler';
import { ReservationSettlement, type Settlement } from '../../commands/reservation-settlement';
import { SeckillHandler, type SeckillOptions } from '../../commands/seckill-handler';
import { couponStreamId, type CouponEvent, type CouponType } from '../../domain/coupon/coupon-events';
import type { AnyDomainEvent } from '../../domain/domain-events';
import { notificationStreamId } from '../../domain/notification/notification-events';
import { orderStreamId, type OrderEvent } from '../../domain/order/order-events';
import { reservationStreamId } from '../../domain/reservation/reservation-events';
import type { DomainEvent } from '../../domain/shared/event';
import { userStreamId } from '../../domain/user/user-events';
import { BreakingEventStore } from '../../infra/resilience/breaking-event-store';
import { BreakingStockGate } from '../../infra/resilience/breaking-stock-gate';
import { DependencyBreaker, type BreakerSettings } from '../../infra/resilience/dependency-breaker';
import { FixedClock } from './in-memory/fixed-clock';
import { InMemoryEventStore } from './in-memory/in-memory-event-store';
import { GATE_KEYS, InMemoryStockGate, type GateKey } from './in-memory/in-memory-stock-gate';
import { RecordingLogger } from './in-memory/recording-logger';
import { SequentialIds } from './in-memory/sequential-ids';

/**
 * Given/when/then for command handlers, in the style of emmett's command handler specifications, on the in-memory
 * adapters (no I/O): *given* stored events and gate arrangements, *when* a handler is called, *then* the events it
 * appended (every event stored from the call until the background work it started is done), its answer or error, and
 * the gate's state.
 *
 *   await HandlerSpecification.for()
 *     .given(couponCreated(coupon), loadGate)
 *     .when((w) => w.seckill.handle({ couponId, userId: 'u-1', idempotencyKey: 'k-1' }, as('u-1')))
 *     .then({ events: [orderPlaced(…)], result: {…}, gate: { [couponId]: {…} } });
 */

export const SPEC_NOW = new Date('2026-06-01T12:00:00.000Z');

export interface WorldOptions {
  readonly now?: Date;
  readonly seckill?: Partial<SeckillOptions>;
  readonly reconciler?: Partial<ReconcilerOptions>;
  /**
   * The recovery's wait for appends in flight after losing pending reservations is `appendTimeoutMs +
   * inFlightMarginMs` of real time: 0 by default here, so a spec never sleeps.
   */
  readonly recovery?: Partial<GateRecoveryOptions>;
  /** The circuit breakers' settings: 3 failures in a row open one, and it probes after a minute (real time). */
  readonly breaker?: Partial<BreakerSettings>;
}

const SPEC_BREAKER: BreakerSettings = {
  consecutiveFailures: 3,
  failureRatio: 0.5,
  windowMs: 10_000,
  minimumCalls: 20,
  halfOpenAfterMs: 60_000,
};

/**
 * Every port on its in-memory adapter, behind its circuit breaker, and the application services wired on them as
 * bin/bindings/write-side.ts wires them, except for sizes that make specs small: the recovery reads the log in pages
 * of 2 events and does not wait for appends in flight (see WorldOptions.recovery), the reconciler settles pages of 2
 * and syncs coupons on every sweep, and a breaker opens after 3 failures (WorldOptions.breaker). `store` and `gate`
 * are the adapters themselves, for arranging and inspecting; the handlers get them behind their breakers.
 */
export class World {
  readonly clock: FixedClock;
  readonly ids = new SequentialIds();
  readonly logger = new RecordingLogger();
  readonly store: InMemoryEventStore;
  readonly gate = new InMemoryStockGate();
  readonly storeBreaker: DependencyBreaker;
  readonly gateBreaker: DependencyBreaker;
  readonly recovery: GateRecovery;
  readonly sync: GateSync;
  readonly settlement: ReservationSettlement;
  readonly seckill: SeckillHandler;
  readonly orders: OrderHandlers;
  readonly coupons: CouponHandlers;
  readonly reconciler: ReservationReconciler;
  readonly settlements: Settlement[] = [];

  constructor(options: WorldOptions = {}) {
    this.clock = new FixedClock(options.now ?? SPEC_NOW);
    this.store = new InMemoryEventStore({ now: () => this.clock.nowMs() });
    const breaker = { ...SPEC_BREAKER, ...options.breaker };
    this.storeBreaker = new DependencyBreaker('event store', breaker, {
      probe: () => this.store.ping(),
      logger: this.logger,
    });
    this.gateBreaker = new DependencyBreaker('redis', breaker, {
      probe: () => this.gate.ping(),
      logger: this.logger,
    });
    const store = new BreakingEventStore(this.store, this.storeBreaker);
    const gate = new BreakingStockGate(this.gate, this.gateBreaker);
    this.recovery = new GateRecovery(store, gate, this.clock, this.logger, {
      owner: 'spec-recoverer',
      appendTimeoutMs: 0,
      inFlightMarginMs: 0,
      leaseMs: 60_000,
      pageSize: 2,
      ...options.recovery,
    });
    this.sync = new GateSync(store, gate, this.recovery);
    this.settlement = new ReservationSettlement(
      store,
      gate,
      this.sync,
      this.clock,
      this.ids,
      this.logger,
      (settlement) => this.settlements.push(settlement),
    );
    this.seckill = new SeckillHandler(store, gate, this.recovery, this.settlement, this.clock, this.ids, {
      appendTimeoutMs: 3000,
      recoveryWaitMs: 1000,
      ...options.seckill,
    });
    this.orders = new OrderHandlers(store, gate, this.sync, this.clock, this.ids);
    this.coupons = new CouponHandlers(store, gate, this.sync, this.clock, this.ids);
    this.reconciler = new ReservationReconciler(
      gate,
      this.settlement,
      this.sync,
      this.recovery,
      this.clock,
      this.logger,
      { graceMs: 5000, intervalMs: 1000, batchSize: 2, couponSyncEvery: 1, ...options.reconciler },
    );
  }

  /** Lets the work a call left running in the background (settlements, recoveries) finish: none of it needs a timer. */
  async idle(): Promise<void> {
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
  }

  /** The gate's view of a coupon, for `then({ gate })`: null when its meta is gone. */
  async gateView(couponId: string): Promise<GateView | null> {
    const state = await this.gate.state(couponId);
    if (!state) return null;
    const raw = this.gate.raw(couponId);
    return {
      status: raw.meta?.status ?? null,
      totalStock: state.totalStock,
      sold: state.sold,
      buyers: Object.fromEntries([...state.buyers].map(([user, orders]) => [user, [...orders].sort()])),
      idempotencyKeys: Object.fromEntries(state.idempotencyKeys),
      pending: Object.keys(raw.pending ?? {})
        .filter((member) => member !== '~')
        .sort(),
    };
  }
}

/** What the gate holds of a coupon, in plain objects. */
export interface GateView {
  readonly status: string | null;
  readonly totalStock: number;
  readonly sold: number;
  /** Live order ids per buyer, sorted. */
  readonly buyers: Readonly<Record<string, readonly string[]>>;
  /** idempotencyField(user, key) → order id. */
  readonly idempotencyKeys: Readonly<Record<string, string>>;
  /** Order ids of the reservations still pending, sorted. */
  readonly pending: readonly string[];
}

/** An event as the specification compares it: where it was appended and what it says. */
export interface AppendedEvent {
  readonly streamId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
}

/** A step of `given`: a domain event stored in its own stream, or anything done to the world (gate, clock). */
export type GivenStep = AnyDomainEvent | ((world: World) => unknown);

export interface Expected<Result> {
  /** Every event appended by the call, in log order; `[]` when nothing may be. */
  readonly events: readonly (AppendedEvent | DomainEvent)[];
  /** The call's answer (asymmetric matchers welcome). */
  readonly result?: Result;
  /** The gate's view of each coupon named (null: no meta). */
  readonly gate?: Readonly<Record<string, GateView | null>>;
  /** Anything else, given the events appended as stored and the call's answer. */
  readonly and?: (world: World, appended: readonly RecordedEvent[], result: Result) => unknown;
}

export interface ExpectedError {
  /** The events appended anyway (a fence, say); none by default. */
  readonly events?: readonly (AppendedEvent | DomainEvent)[];
  readonly gate?: Readonly<Record<string, GateView | null>>;
  /** Anything else, given the events appended as stored and the error. */
  readonly and?: (world: World, appended: readonly RecordedEvent[], error: unknown) => unknown;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** The stream a domain event lives in. */
export const streamOf = (event: AnyDomainEvent): string => {
  switch (event.type) {
    case 'CouponCreated':
    case 'CouponStockAdded':
    case 'CouponSaleWindowChanged':
    case 'CouponDeactivated':
    case 'CouponReactivated':
    case 'CouponClosed':
      return couponStreamId(event.data.couponId);
    case 'OrderPlaced':
    case 'OrderCancelled':
    case 'OrderUsed':
    case 'OrderExpiryNoticed':
    case 'OrderExpired':
    case 'SeckillAbandoned':
      return orderStreamId(event.data.orderId);
    case 'ReservationPlaced':
    case 'ReservationFiring':
    case 'ReservationSucceeded':
    case 'ReservationFailed':
    case 'ReservationCancelled':
    case 'ReservationExpired':
      return reservationStreamId(event.data.reservationId);
    case 'UserRegistered':
    case 'UserPasswordChanged':
    case 'UserDisabled':
    case 'UserEnabled':
      return userStreamId(event.data.username);
    case 'NotificationRead':
    case 'NotificationsReadUpTo':
      return notificationStreamId(event.data.userId);
  }
};

const GIVEN_CONTEXT = systemContext('given');

/** A domain event as appended to its own stream; an AppendedEvent or an asymmetric matcher as it is. */
const asAppended = (event: AppendedEvent | DomainEvent): unknown =>
  'streamId' in event || 'asymmetricMatch' in event
    ? event
    : {
        streamId: streamOf(event as AnyDomainEvent),
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: event.data,
      };

const comparable = (recorded: readonly RecordedEvent[]): AppendedEvent[] =>
  recorded.map(({ streamId, type, schemaVersion, data }) => ({ streamId, type, schemaVersion, data }));

export const HandlerSpecification = {
  for: (options: WorldOptions = {}) => ({
    given: (...steps: readonly GivenStep[]) => ({
      when: <Result>(call: (world: World) => Promise<Result>) => {
        /** Runs given and when; answers the call's outcome and what it appended. */
        const run = async () => {
          const world = new World(options);
          let givenIds = 0;
          for (const step of steps) {
            if (typeof step === 'function') {
              await step(world);
              continue;
            }
            const [event] = withMetadata(
              [step],
              GIVEN_CONTEXT,
              world.clock.now(),
              () => `given-${++givenIds}`,
            );
            if (event) await world.store.append(streamOf(step), [event], 'any');
          }
          // Read through a client of its own: a spec may have cut the handlers' client off.
          const observer = world.store.connect();
          const head = await observer.headPosition();
          let outcome: { ok: true; result: Result } | { ok: false; error: unknown };
          try {
            outcome = { ok: true, result: await call(world) };
          } catch (error) {
            outcome = { ok: false, error };
          }
          await world.idle();
          const appended = await observer.readAll(head, 10_000);
          return { world, outcome, appended };
        };

        const expectGate = async (world: World, gate: Expected<Result>['gate']) => {
          for (const [couponId, view] of Object.entries(gate ?? {}))
            expect({ couponId, view: await world.gateView(couponId) }).toEqual({ couponId, view });
        };

        return {
          /** The call succeeds, appends exactly `events`, answers `result` and leaves the gate as `gate` says. */
          then: async (expected: Expected<Result>): Promise<void> => {
            const { world, outcome, appended } = await run();
            if (!outcome.ok) throw outcome.error;
            expect(comparable(appended)).toEqual(expected.events.map(asAppended));
            if ('result' in expected) expect(outcome.result).toEqual(expected.result);
            await expectGate(world, expected.gate);
            await expected.and?.(world, appended, outcome.result);
          },
          /** The call fails with an `error` (whose fields match `fields`); nothing is appended unless `events` says. */
          thenThrows: async (
            error: ErrorClass,
            fields: Readonly<Record<string, unknown>> = {},
            expected: ExpectedError = {},
          ): Promise<void> => {
            const { world, outcome, appended } = await run();
            if (outcome.ok)
              throw new Error(
                `expected ${error.name}, but the call answered ${JSON.stringify(outcome.result)}`,
              );
            expect(outcome.error).toBeInstanceOf(error);
            expect(outcome.error).toMatchObject(fields);
            expect(comparable(appended)).toEqual((expected.events ?? []).map(asAppended));
            await expectGate(world, expected.gate);
            await expected.and?.(world, appended, outcome.error);
          },
        };
      },
    }),
  }),
};

// ---- given steps ---------------------------------------------------------------------------------------------

/** The gate as a write-api starting on an empty Redis builds it: every coupon recovered from the event store. */
export const loadGate = async (world: World): Promise<void> => {
  await world.recovery.rebuildAll();
};

/** A reservation made at the gate (its seckill's append has not landed, or its answer never came). */
export const reserved =
  (reservation: {
    couponId: string;
    userId: string;
    orderId: string;
    idempotencyKey?: string;
    at?: Date | string;
  }) =>
  async (world: World): Promise<void> => {
    const outcome = await world.gate.reserve({
      couponId: reservation.couponId,
      userId: reservation.userId,
      orderId: reservation.orderId,
      idempotencyKey: reservation.idempotencyKey ?? null,
      nowMs: new Date(reservation.at ?? world.clock.now()).getTime(),
      registeredAtMs: null,
    });
    if (outcome.kind !== 'reserved') throw new Error(`given reservation: ${JSON.stringify(outcome)}`);
  };

/** The gate lost these keys of a coupon (all five when none are named). */
export const lost =
  (couponId: string, ...keys: GateKey[]) =>
  (world: World): void => {
    for (const key of keys.length > 0 ? keys : GATE_KEYS) world.gate.lose(couponId, key);
  };

/**
 * When the first append of a `type` event to `streamId` is about to be decided, `event` (written by someone else: a
 * slow seckill, another process) lands in its stream first.
 */
export const landsFirst =
  (before: { streamId: string; type: string }, event: AnyDomainEvent) =>
  (world: World): void =>
    world.store.beforeNextAppend(
      (streamId, events) => streamId === before.streamId && events[0]?.type === before.type,
      () =>
        world.store.append(
          streamOf(event),
          withMetadata([event], systemContext('late writer'), world.clock.now(), () => 'late-1'),
          'any',
        ),
    );

/** Fails calls through `breaker` until it opens (at most 100); it then probes after WorldOptions.breaker's time. */
const tripBreaker = async (breaker: DependencyBreaker, call: () => Promise<unknown>): Promise<void> => {
  for (let i = 0; i < 100 && breaker.state !== 'open'; i++)
    await breaker.execute(call).catch(() => undefined);
  if (breaker.state !== 'open') throw new Error(`the breaker of ${breaker.dependency} did not open`);
};

/** The event store is out of reach and its circuit breaker has opened on the failures. */
export const eventStoreDown = async (world: World): Promise<void> => {
  world.store.disconnect();
  await tripBreaker(world.storeBreaker, () => world.store.ping());
};

/** Redis is out of reach and its circuit breaker has opened on the failures. */
export const redisDown = async (world: World): Promise<void> => {
  world.gate.setReachable(false);
  await tripBreaker(world.gateBreaker, () => world.gate.ping());
};

/** The clock reads `at` from here on. */
export const at =
  (time: Date | string) =>
  (world: World): void =>
    world.clock.set(time);

/** A buyer's (or an admin's) request context. */
export const as = (actorId: string, requestId = 'req-1'): CommandContext => ({
  actorId,
  correlationId: requestId,
  causationId: requestId,
});

// ---- events --------------------------------------------------------------------------------------------------

export interface CouponFixture {
  readonly couponId: string;
  readonly totalStock: number;
  readonly perUserLimit: number;
  readonly minAccountAgeSeconds: number;
  readonly saleStartsAt: string;
  readonly saleEndsAt: string;
  /** Absent: a SECKILL coupon with no minimum spend whose orders are valid for ever. */
  readonly couponType?: CouponType;
  readonly minSpendCents?: number;
  readonly validDays?: number | null;
  readonly validUntil?: string | null;
}

/** A coupon on sale an hour either side of SPEC_NOW. */
export const aCoupon = (overrides: Partial<CouponFixture> = {}): CouponFixture => ({
  couponId: 'c-1',
  totalStock: 3,
  perUserLimit: 1,
  minAccountAgeSeconds: 0,
  saleStartsAt: '2026-06-01T11:00:00.000Z',
  saleEndsAt: '2026-06-01T13:00:00.000Z',
  ...overrides,
});

export const couponCreated = (coupon: CouponFixture): CouponEvent => ({
  type: 'CouponCreated',
  schemaVersion: 4,
  data: {
    couponType: 'SECKILL',
    minSpendCents: 0,
    validDays: null,
    validUntil: null,
    ...coupon,
    name: `coupon ${coupon.couponId}`,
    description: '',
    faceValueCents: 1000,
  },
});

/** A REGULAR coupon: claimable at any time, its window the always-open one. */
export const aRegularCoupon = (overrides: Partial<CouponFixture> = {}): CouponFixture =>
  aCoupon({
    couponType: 'REGULAR',
    saleStartsAt: '2000-01-01T00:00:00.000Z',
    saleEndsAt: '9999-12-31T23:59:59.999Z',
    ...overrides,
  });

export const couponDeactivated = (couponId: string, at = SPEC_NOW.toISOString()): CouponEvent => ({
  type: 'CouponDeactivated',
  schemaVersion: 1,
  data: { couponId, deactivatedAt: at },
});

export const couponReactivated = (couponId: string, at = SPEC_NOW.toISOString()): CouponEvent => ({
  type: 'CouponReactivated',
  schemaVersion: 1,
  data: { couponId, reactivatedAt: at },
});

export const couponSaleWindowChanged = (
  couponId: string,
  saleStartsAt: string,
  saleEndsAt: string,
  changedAt = SPEC_NOW.toISOString(),
): CouponEvent => ({
  type: 'CouponSaleWindowChanged',
  schemaVersion: 1,
  data: { couponId, saleStartsAt, saleEndsAt, changedAt },
});

export const couponClosed = (couponId: string, closedAt = SPEC_NOW.toISOString()): CouponEvent => ({
  type: 'CouponClosed',
  schemaVersion: 1,
  data: { couponId, closedAt },
});

interface OrderRef {
  readonly orderId: string;
  readonly couponId: string;
  readonly userId: string;
}

export const orderPlaced = (
  ref: OrderRef,
  idempotencyKey: string | null = null,
  placedAt = SPEC_NOW.toISOString(),
  terms: Partial<{ couponType: CouponType; minSpendCents: number; validUntil: string | null }> = {},
): OrderEvent => ({
  type: 'OrderPlaced',
  schemaVersion: 2,
  data: {
    ...ref,
    idempotencyKey,
    placedAt,
    couponType: 'SECKILL',
    minSpendCents: 0,
    validUntil: null,
    ...terms,
  },
});

export const orderCancelled = (ref: OrderRef, cancelledAt = SPEC_NOW.toISOString()): OrderEvent => ({
  type: 'OrderCancelled',
  schemaVersion: 1,
  data: { ...ref, cancelledAt },
});

export const orderUsed = (ref: OrderRef, usedAt = SPEC_NOW.toISOString()): OrderEvent => ({
  type: 'OrderUsed',
  schemaVersion: 2,
  data: { ...ref, usedAt, amountCents: null },
});

export const seckillAbandoned = (
  ref: OrderRef,
  reason: string,
  abandonedAt = SPEC_NOW.toISOString(),
): OrderEvent => ({
  type: 'SeckillAbandoned',
  schemaVersion: 1,
  data: { ...ref, reason, abandonedAt },
});
