import { DomainError } from '../domain/shared/domain-error';
import { orderDecider, type OrderStatus } from '../domain/order/order-decider';
import { orderStreamId } from '../domain/order/order-events';
import { fold } from '../domain/shared/event';
import type { Clock } from './clock-port';
import { withMetadata, type CommandContext } from './command-context';
import { DependencyUnavailableError } from './dependency-error';
import { refusedUnsent, type EventStore } from './event-store-port';
import { GateRecoveringError, type GateRecovery } from './gate-recovery';
import type { IdGenerator } from './id-generator-port';
import type { ReservationSettlement } from './reservation-settlement';
import { SeckillInProgressError, SeckillRefusedError } from './seckill-errors';
import { orderEventsOf } from './stored-events';
import type {
  OrderedPurchase,
  PurchaseOutcome,
  ReserveOutcome,
  ReserveRequest,
  SeckillRefusal,
  StockGate,
} from './stock-gate-port';
import { couponStreamId, type CouponType } from '../domain/coupon/coupon-events';
import type { OrderTerms } from '../domain/order/order-decider';

/** What a reservation comes to once the coupon's gate state could be trusted. */
type SettledOutcome = Extract<ReserveOutcome, { kind: 'reserved' | 'replayed' | 'refused' }>;

export interface SeckillOptions {
  /**
   * An append not stored by then is not stored at all (EventStore AppendOptions.deadlineMs); the buyer gets 503 and
   * the reservation is released. GateRecovery relies on this bound.
   */
  readonly appendTimeoutMs: number;
  /** How long a buyer who hit a damaged coupon waits for its recovery before a 503 GATE_RECOVERING. */
  readonly recoveryWaitMs: number;
}

export interface SeckillRequest {
  readonly couponId: string;
  /**
   * What the caller's route sells: `SECKILL` (the default: the seckill route, and reservations firing) or `REGULAR`
   * (the claim route). The gate refuses a coupon of the other type (NOT_A_SECKILL_COUPON, NOT_A_REGULAR_COUPON).
   */
  readonly couponType?: CouponType;
  readonly userId: string;
  readonly idempotencyKey: string | null;
  /** When the buyer's account was registered (epoch ms), from the signed token; null when the token does not say. */
  readonly registeredAtMs: number | null;
}

export interface SeckillResult {
  readonly orderId: string;
  readonly couponId: string;
  readonly userId: string;
  readonly status: OrderStatus;
  readonly position: string;
  /** True when this answers a retry with the order an earlier request placed. */
  readonly replayed: boolean;
}

/** What became of one reserved buyer's purchase (`buyInOrder`). */
export type ReservedPurchaseOutcome =
  /** The order is stored (now, or by an earlier attempt with the same idempotency key: `replayed`). */
  | {
      readonly kind: 'placed';
      readonly orderId: string;
      readonly position: string;
      readonly replayed: boolean;
    }
  | { readonly kind: 'refused'; readonly code: SeckillRefusal; readonly message: string }
  /**
   * An earlier attempt with this idempotency key holds a unit under `orderId` whose order is not stored (yet): its
   * append may still land, or its process died. Settle it (ReservationSettlement) before buying again.
   */
  | { readonly kind: 'in_progress'; readonly orderId: string }
  /** Nothing is known to be stored (the append failed, the store refused it): try again later. */
  | { readonly kind: 'failed'; readonly error: unknown };

/**
 * The hot path of both the seckill and the regular claim: one gate round trip (type, activity, window, limit, stock,
 * buyer, atomically; it answers the coupon's order terms too), then one append to a fresh order stream. The event store is asked first whether it would take an append now (its circuit breaker, its append queue):
 * when it would not, the buyer is answered at once and no stock is taken, so an outage or an overload never turns
 * into false SOLD_OUT answers. A reservation whose append is refused unsent anyway (the queue filled or the breaker
 * opened during the gate's round trip) is released at once; one whose append fails is fenced and released at once
 * when the store still answers, otherwise by the reconciler once it does.
 */
export class SeckillHandler {
  constructor(
    private readonly store: EventStore,
    private readonly gate: StockGate,
    private readonly recovery: GateRecovery,
    private readonly settlement: ReservationSettlement,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly options: SeckillOptions,
  ) {}

  async handle(request: SeckillRequest, context: CommandContext): Promise<SeckillResult> {
    this.store.admitAppend();
    const orderId = this.ids.orderId(request.userId);
    const now = this.clock.now();
    const outcome = await this.reserveLoadingCoupon({
      ...request,
      couponType: request.couponType ?? 'SECKILL',
      orderId,
      nowMs: now.getTime(),
    });
    switch (outcome.kind) {
      case 'refused':
        throw new SeckillRefusedError(outcome.reason, outcome.orderIds);
      case 'replayed':
        return this.existingOrder(outcome.orderId, request);
      case 'reserved':
        break;
    }

    const { couponId, userId, idempotencyKey } = request;
    // The coupon's type, minimum spend and validity came back with the reservation: no read of the coupon here.
    const position = await this.place(couponId, userId, orderId, idempotencyKey, outcome.terms, now, context);
    return { orderId, couponId, userId, status: 'PLACED', position, replayed: false };
  }

  /**
   * Reserved buyers' purchases (the reservation firer's): the gate decides them one after another in the order given,
   * in one round trip and with the same rules as a live buyer's (window, per-user limit, stock, account age), inside
   * the coupon's reservation priority; each order id and idempotency key is the caller's, fixed before, so a purchase
   * tried again after a crash meets the gate's idempotency instead of buying twice. Then every reserved order is
   * appended (together: one group commit) as `handle` appends one. Throws, having bought nothing, when the event store
   * would not take an append now or the coupon's gate is being recovered.
   */
  async buyInOrder(
    couponId: string,
    purchases: readonly OrderedPurchase[],
    context: CommandContext,
  ): Promise<ReservedPurchaseOutcome[]> {
    this.store.admitAppend();
    const now = this.clock.now();
    const decided = await this.reserveInOrderLoadingCoupon(couponId, now.getTime(), purchases);
    return Promise.all(
      purchases.map(async (purchase, i): Promise<ReservedPurchaseOutcome> => {
        const outcome = decided[i];
        if (!outcome)
          return { kind: 'failed', error: new Error('the gate answered fewer purchases than asked') };
        switch (outcome.kind) {
          case 'refused':
            return {
              kind: 'refused',
              code: outcome.reason,
              message: new SeckillRefusedError(outcome.reason, []).message,
            };
          case 'replayed': {
            const events = await this.store.readStream(orderStreamId(outcome.orderId));
            const placed = events.find((e) => e.type === 'OrderPlaced');
            return placed
              ? {
                  kind: 'placed',
                  orderId: outcome.orderId,
                  position: placed.position.toString(),
                  replayed: true,
                }
              : { kind: 'in_progress', orderId: outcome.orderId };
          }
          case 'reserved':
            try {
              const { userId, orderId, idempotencyKey } = purchase;
              const position = await this.place(
                couponId,
                userId,
                orderId,
                idempotencyKey,
                outcome.terms,
                now,
                context,
              );
              return { kind: 'placed', orderId, position, replayed: false };
            } catch (error) {
              return { kind: 'failed', error };
            }
        }
      }),
    );
  }

  /** Appends the OrderPlaced of a reservation the gate made; on failure, settles it and throws. */
  private async place(
    couponId: string,
    userId: string,
    orderId: string,
    idempotencyKey: string | null,
    terms: OrderTerms,
    now: Date,
    context: CommandContext,
  ): Promise<string> {
    const events = orderDecider.decide(
      { type: 'PlaceOrder', data: { orderId, couponId, userId, idempotencyKey, now, terms } },
      orderDecider.initialState,
    );
    try {
      const { position } = await this.store.append(
        orderStreamId(orderId),
        withMetadata(events, context, now, () => this.ids.newId()),
        'no_stream',
        { deadlineMs: now.getTime() + this.options.appendTimeoutMs },
      );
      return position.toString();
    } catch (error) {
      const reservation = { couponId, orderId, userId, reservedAtMs: now.getTime() };
      if (refusedUnsent(error)) {
        await this.settlement.releaseUnsent(reservation);
        throw error;
      }
      this.settlement.settleLater(reservation, 'append failed');
      throw error instanceof DependencyUnavailableError
        ? error
        : new DependencyUnavailableError('event store', error);
    }
  }

  /** `reserveLoadingCoupon` for an ordered batch of reserved buyers. */
  private async reserveInOrderLoadingCoupon(
    couponId: string,
    nowMs: number,
    purchases: readonly OrderedPurchase[],
  ): Promise<readonly PurchaseOutcome[]> {
    const first = await this.gate.reserveInOrder(couponId, nowMs, purchases);
    switch (first.kind) {
      case 'decided':
        return first.outcomes;
      case 'rebuilding':
        if (first.leaseExpiresAtMs < this.clock.now().getTime()) void this.recoverWithin(couponId, 0);
        throw new GateRecoveringError(couponId);
      case 'unknown_coupon':
        if ((await this.store.readStream(couponStreamId(couponId))).length === 0)
          throw new DomainError('COUPON_NOT_FOUND', `coupon ${couponId} does not exist`);
        break;
      case 'damaged':
        break;
    }
    if (!(await this.recoverWithin(couponId, this.options.recoveryWaitMs)))
      throw new GateRecoveringError(couponId);
    const retried = await this.gate.reserveInOrder(couponId, nowMs, purchases);
    if (retried.kind === 'decided') return retried.outcomes;
    throw new GateRecoveringError(couponId);
  }

  /**
   * Reserves, or, for a coupon whose gate state is gone or damaged, has it recovered from the event store first (the
   * buyer waits up to `recoveryWaitMs` for that, else 503 GATE_RECOVERING). Nothing is sold on a coupon while its
   * state cannot be trusted.
   */
  private async reserveLoadingCoupon(request: ReserveRequest): Promise<SettledOutcome> {
    const outcome = await this.gate.reserve(request);
    switch (outcome.kind) {
      case 'reserved':
      case 'replayed':
      case 'refused':
        return outcome;
      case 'rebuilding':
        // A recoverer that died holds its lease until it expires: then anyone may take over.
        if (outcome.leaseExpiresAtMs < this.clock.now().getTime())
          void this.recoverWithin(request.couponId, 0);
        throw new GateRecoveringError(request.couponId);
      case 'unknown_coupon':
        if ((await this.store.readStream(couponStreamId(request.couponId))).length === 0)
          throw new DomainError('COUPON_NOT_FOUND', `coupon ${request.couponId} does not exist`);
        break;
      case 'damaged':
        break;
    }
    if (!(await this.recoverWithin(request.couponId, this.options.recoveryWaitMs)))
      throw new GateRecoveringError(request.couponId);
    const retried = await this.gate.reserve(request);
    if (retried.kind === 'reserved' || retried.kind === 'replayed' || retried.kind === 'refused')
      return retried;
    throw new GateRecoveringError(request.couponId);
  }

  /** True when a recovery of the coupon ended within `waitMs`; the recovery goes on either way. */
  private async recoverWithin(couponId: string, waitMs: number): Promise<boolean> {
    const recovered = this.recovery.recover([couponId]).then(
      () => true,
      () => false,
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)));
    try {
      return await Promise.race([recovered, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async existingOrder(orderId: string, request: SeckillRequest): Promise<SeckillResult> {
    const events = await this.store.readStream(orderStreamId(orderId));
    const placed = events.find((e) => e.type === 'OrderPlaced');
    const state = fold(orderDecider, orderEventsOf(events));
    if (!placed || !('orderId' in state)) throw new SeckillInProgressError(orderId);
    // A replay answers with the caller's own order or not at all: never another buyer's.
    if (state.userId !== request.userId || state.couponId !== request.couponId)
      throw new Error(
        `idempotency key of ${request.userId} led to order ${orderId} of another buyer or coupon`,
      );
    return {
      orderId,
      couponId: request.couponId,
      userId: request.userId,
      status: state.status,
      position: placed.position.toString(),
      replayed: true,
    };
  }
}
