import {
  orderDecider,
  type OrderCommand,
  type OrderState,
  type OrderStatus,
} from '../domain/order/order-decider';
import { orderStreamId, type OrderEvent } from '../domain/order/order-events';
import { AggregateHandler } from './aggregate-handler';
import type { Clock } from './clock-port';
import { systemContext, withMetadata, type CommandContext } from './command-context';
import { ConcurrencyConflictError } from './concurrency-conflict-error';
import { WrongExpectedRevisionError, type EventStore } from './event-store-port';
import type { IdGenerator } from './id-generator-port';
import { orderEventsOf } from './stored-events';
import type { GateSync } from './gate-sync';
import type { StockGate } from './stock-gate-port';

/** An order as a command left it, with where its last event was stored. */
export interface OrderCommandResult {
  readonly orderId: string;
  readonly couponId: string;
  readonly userId: string;
  readonly status: OrderStatus;
  readonly position: string;
}

/** What the expiry process's decision did to an order: appended its event, or found nothing to do. */
export type ExpiryOutcome = 'appended' | 'unchanged';

/** A decision of the expiry process that kept losing its order's stream to other writers is given up this often. */
const SYSTEM_DECISION_ATTEMPTS = 5;

/**
 * What an order's owner may do to it, and what time does to it. A cancelled order's unit goes back to the coupon's
 * stock; an expired one's never does (README, "Order lifecycle").
 */
export class OrderHandlers {
  private readonly handler: AggregateHandler<OrderCommand, OrderEvent, OrderState>;

  constructor(
    private readonly store: EventStore,
    private readonly gate: StockGate,
    private readonly sync: GateSync,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {
    this.handler = new AggregateHandler(store, { decider: orderDecider, decode: orderEventsOf }, clock, ids);
  }

  async cancel(orderId: string, context: CommandContext): Promise<OrderCommandResult> {
    // The unit goes back through the gate: refuse up front while it is down rather than store a cancellation it
    // cannot apply yet.
    await this.gate.ping();
    const result = await this.run(
      orderId,
      { type: 'CancelOrder', data: { orderId, byUserId: context.actorId, now: this.clock.now() } },
      context,
    );
    // A damaged gate lost this coupon's state; its recovery reads the cancellation from the event store.
    if ((await this.gate.returnUnit(result.couponId, orderId, result.userId)) === 'damaged')
      this.sync.recoverLater(result.couponId);
    return result;
  }

  /**
   * Uses the order on a purchase of `amountCents` (null: none given; required when the order has a minimum spend).
   * Refused once the order's validity has ended, whether or not the expiry process has stored its expiry yet.
   */
  use(
    orderId: string,
    context: CommandContext,
    amountCents: number | null = null,
  ): Promise<OrderCommandResult> {
    return this.run(
      orderId,
      { type: 'UseOrder', data: { orderId, byUserId: context.actorId, now: this.clock.now(), amountCents } },
      context,
    );
  }

  /**
   * Appends OrderExpired when the order's validity has ended and it is still placed; else nothing. Safe on any number
   * of replicas at once: the append expects the revision the decision was made on, so of two expiries, or of an
   * expiry and a use or cancellation racing it, exactly one is stored and the other is decided again on the order as
   * it then is (and finds nothing to do, or is refused). Expiry returns no stock.
   */
  expire(orderId: string, context: CommandContext = systemContext('order-expiry')): Promise<ExpiryOutcome> {
    return this.decideForTime(
      orderId,
      () => ({ type: 'ExpireOrder', data: { orderId, now: this.clock.now() } }),
      context,
    );
  }

  /**
   * Appends OrderExpiryNoticed when the order's validity ends within `leadMs` and its expiry was never noticed; else
   * nothing. Once per order, however many replicas decide it at once (as `expire`).
   */
  noticeExpiry(
    orderId: string,
    leadMs: number,
    context: CommandContext = systemContext('order-expiry-notice'),
  ): Promise<ExpiryOutcome> {
    return this.decideForTime(
      orderId,
      () => ({ type: 'NoticeOrderExpiry', data: { orderId, now: this.clock.now(), leadMs } }),
      context,
    );
  }

  /**
   * Read → decide → append at the revision read, like AggregateHandler, except that a decision with nothing to
   * append appends nothing (the process asks about orders that may have moved on since its index saw them).
   */
  private async decideForTime(
    orderId: string,
    command: () => OrderCommand,
    context: CommandContext,
  ): Promise<ExpiryOutcome> {
    const streamId = orderStreamId(orderId);
    for (let attempt = 1; ; attempt++) {
      const { state, revision } = await this.handler.load(streamId);
      const events = orderDecider.decide(command(), state);
      if (events.length === 0 || revision === null) return 'unchanged';
      try {
        await this.store.append(
          streamId,
          withMetadata(events, context, this.clock.now(), () => this.ids.newId()),
          revision,
        );
        return 'appended';
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        if (attempt >= SYSTEM_DECISION_ATTEMPTS) throw new ConcurrencyConflictError(streamId, attempt);
      }
    }
  }

  private async run(
    orderId: string,
    command: OrderCommand,
    context: CommandContext,
  ): Promise<OrderCommandResult> {
    const { state, append } = await this.handler.handle(orderStreamId(orderId), command, context);
    if (!('orderId' in state)) throw new Error('an order command left no order');
    const { couponId, userId, status } = state;
    return { orderId, couponId, userId, status, position: append.position.toString() };
  }
}
