import {
  orderDecider,
  type OrderCommand,
  type OrderState,
  type OrderStatus,
} from '../domain/order/order-decider';
import { orderStreamId, type OrderEvent } from '../domain/order/order-events';
import { AggregateHandler } from './aggregate-handler';
import type { Clock } from './clock-port';
import type { CommandContext } from './command-context';
import type { EventStore } from './event-store-port';
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

/** What an order's owner may do to it. A cancelled order's unit goes back to the coupon's stock. */
export class OrderHandlers {
  private readonly handler: AggregateHandler<OrderCommand, OrderEvent, OrderState>;

  constructor(
    store: EventStore,
    private readonly gate: StockGate,
    private readonly sync: GateSync,
    private readonly clock: Clock,
    ids: IdGenerator,
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

  use(orderId: string, context: CommandContext): Promise<OrderCommandResult> {
    return this.run(
      orderId,
      { type: 'UseOrder', data: { orderId, byUserId: context.actorId, now: this.clock.now() } },
      context,
    );
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
