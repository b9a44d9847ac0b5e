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
import type { StockGate } from './stock-gate-port';

export interface OrderView {
  readonly orderId: string;
  readonly couponId: string;
  readonly userId: string;
  readonly status: OrderStatus;
  readonly position: string;
}

/** What an order's owner may do to it. A cancelled order's unit goes back to the coupon's stock. */
export class OrderCommands {
  private readonly handler: AggregateHandler<OrderCommand, OrderEvent, OrderState>;

  constructor(
    store: EventStore,
    private readonly gate: StockGate,
    private readonly clock: Clock,
    ids: IdGenerator,
  ) {
    this.handler = new AggregateHandler(store, orderDecider, clock, ids);
  }

  async cancel(orderId: string, context: CommandContext): Promise<OrderView> {
    // The unit goes back through the gate: refuse up front while it is down rather than store a cancellation it
    // cannot apply yet.
    await this.gate.ping();
    const view = await this.run(
      orderId,
      { type: 'CancelOrder', data: { orderId, byUserId: context.actorId, now: this.clock.now() } },
      context,
    );
    await this.gate.returnUnit(view.couponId, orderId, view.userId);
    return view;
  }

  use(orderId: string, context: CommandContext): Promise<OrderView> {
    return this.run(
      orderId,
      { type: 'UseOrder', data: { orderId, byUserId: context.actorId, now: this.clock.now() } },
      context,
    );
  }

  private async run(orderId: string, command: OrderCommand, context: CommandContext): Promise<OrderView> {
    const { state, append } = await this.handler.handle(orderStreamId(orderId), command, context);
    if (!('orderId' in state)) throw new Error('an order command left no order');
    const { couponId, userId, status } = state;
    return { orderId, couponId, userId, status, position: append.position.toString() };
  }
}
