import { DomainError } from '../domain/shared/domain-error';
import { orderDecider, type OrderStatus } from '../domain/order/order-decider';
import { orderStreamId } from '../domain/order/order-events';
import { fold } from '../domain/shared/event';
import type { Clock } from './clock-port';
import { withMetadata, type CommandContext } from './command-context';
import { DependencyUnavailableError } from './dependency-error';
import type { EventStore } from './event-store-port';
import type { GateSync } from './gate-sync';
import type { IdGenerator } from './id-generator-port';
import type { ReservationSettlement } from './reservation-settlement';
import { SeckillInProgressError, SeckillRefusedError } from './seckill-errors';
import { orderEventsOf } from './stored-events';
import type { ReserveRequest, StockGate } from './stock-gate-port';

export interface SeckillRequest {
  readonly couponId: string;
  readonly userId: string;
  readonly idempotencyKey: string | null;
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

/**
 * The hot path: one gate round trip (window, limit, stock, buyer, atomically), then one append to a fresh order
 * stream. A reservation whose append fails is fenced and released at once when the store still answers, otherwise
 * by the reconciler once it does.
 */
export class SeckillHandler {
  constructor(
    private readonly store: EventStore,
    private readonly gate: StockGate,
    private readonly sync: GateSync,
    private readonly settlement: ReservationSettlement,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  async handle(request: SeckillRequest, context: CommandContext): Promise<SeckillResult> {
    const orderId = this.ids.orderId(request.userId);
    const now = this.clock.now();
    const outcome = await this.reserveLoadingCoupon({ ...request, orderId, nowMs: now.getTime() });
    switch (outcome.kind) {
      case 'refused':
        throw new SeckillRefusedError(outcome.reason, outcome.orderIds);
      case 'replayed':
        return this.existingOrder(outcome.orderId, request);
      case 'reserved':
        break;
    }

    const { couponId, userId, idempotencyKey } = request;
    const events = orderDecider.decide(
      { type: 'PlaceOrder', data: { orderId, couponId, userId, idempotencyKey, now } },
      orderDecider.initialState,
    );
    try {
      const { position } = await this.store.append(
        orderStreamId(orderId),
        withMetadata(events, context, now, () => this.ids.newId()),
        'no_stream',
      );
      return { orderId, couponId, userId, status: 'PLACED', position: position.toString(), replayed: false };
    } catch (error) {
      this.settlement.settleLater(
        { couponId, orderId, userId, reservedAtMs: now.getTime() },
        'append failed',
      );
      throw error instanceof DependencyUnavailableError
        ? error
        : new DependencyUnavailableError('event store', error);
    }
  }

  private async reserveLoadingCoupon(request: ReserveRequest) {
    const outcome = await this.gate.reserve(request);
    if (outcome.kind === 'rebuilding')
      throw new DependencyUnavailableError('stock gate', 'it is being rebuilt from the event store');
    if (outcome.kind !== 'unknown_coupon') return outcome;
    // A coupon unknown to an initialised gate was created but never loaded (crash between append and load): no unit
    // of it can have been sold, so loading it from its own stream is safe. An uninitialised gate lost its data and
    // needs the full rebuild.
    if (!(await this.gate.isInitialised()))
      throw new DependencyUnavailableError('stock gate', 'it holds no data; rebuild it from the event store');
    if ((await this.sync.syncCoupon(request.couponId)) === null)
      throw new DomainError('COUPON_NOT_FOUND', `coupon ${request.couponId} does not exist`);
    const retried = await this.gate.reserve(request);
    if (retried.kind === 'unknown_coupon' || retried.kind === 'rebuilding')
      throw new DependencyUnavailableError('stock gate', 'the coupon could not be loaded');
    return retried;
  }

  private async existingOrder(orderId: string, request: SeckillRequest): Promise<SeckillResult> {
    const events = await this.store.readStream(orderStreamId(orderId));
    const placed = events.find((e) => e.type === 'OrderPlaced');
    const state = fold(orderDecider, orderEventsOf(events));
    if (!placed || !('orderId' in state)) throw new SeckillInProgressError(orderId);
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
