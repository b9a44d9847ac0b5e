import {
  couponDecider,
  type CouponCommand,
  type CouponState,
  type ExistingCoupon,
} from '../domain/coupon/coupon-decider';
import { couponStreamId, type CouponEvent } from '../domain/coupon/coupon-events';
import { AggregateHandler } from './aggregate-handler';
import type { Clock } from './clock-port';
import type { CommandContext } from './command-context';
import type { EventStore } from './event-store-port';
import type { GateSync } from './gate-sync';
import type { IdGenerator } from './id-generator-port';
import { couponEventsOf } from './stored-events';
import type { StockGate } from './stock-gate-port';

/** A coupon as a command left it, with where its last event was stored. */
export interface CouponCommandResult extends Omit<ExistingCoupon, 'status'> {
  readonly status: 'ACTIVE' | 'CLOSED';
  readonly revision: string;
  readonly position: string;
}

export interface NewCoupon {
  readonly name: string;
  readonly description?: string;
  readonly faceValueCents: number;
  readonly totalStock: number;
  readonly perUserLimit: number;
  /** How old a buyer's account must be to buy, in seconds; absent or 0: no such rule. */
  readonly minAccountAgeSeconds?: number;
  readonly saleStartsAt: Date;
  readonly saleEndsAt: Date;
}

/** Coupon management: each change is appended to the coupon's stream, then pushed to the stock gate. */
export class CouponHandlers {
  private readonly handler: AggregateHandler<CouponCommand, CouponEvent, CouponState>;

  constructor(
    store: EventStore,
    private readonly gate: StockGate,
    private readonly sync: GateSync,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {
    this.handler = new AggregateHandler(
      store,
      { decider: couponDecider, decode: couponEventsOf },
      clock,
      ids,
    );
  }

  create(coupon: NewCoupon, context: CommandContext): Promise<CouponCommandResult> {
    const couponId = this.ids.newId();
    const data = {
      couponId,
      ...coupon,
      description: coupon.description ?? '',
      minAccountAgeSeconds: coupon.minAccountAgeSeconds ?? 0,
    };
    return this.run(couponId, { type: 'CreateCoupon', data }, context);
  }

  addStock(couponId: string, quantity: number, context: CommandContext): Promise<CouponCommandResult> {
    return this.run(couponId, { type: 'AddStock', data: { couponId, quantity } }, context);
  }

  close(couponId: string, context: CommandContext): Promise<CouponCommandResult> {
    return this.run(couponId, { type: 'CloseCoupon', data: { couponId, now: this.clock.now() } }, context);
  }

  private async run(
    couponId: string,
    command: CouponCommand,
    context: CommandContext,
  ): Promise<CouponCommandResult> {
    // Refuse up front while the gate is down, rather than store a change the gate cannot take yet. Should the gate
    // fail between the two writes anyway, the reconciler's coupon sync applies the change later.
    await this.gate.ping();
    const { state, append } = await this.handler.handle(couponStreamId(couponId), command, context);
    if (state.status === 'absent') throw new Error('a coupon command left no coupon');
    if (command.type === 'CreateCoupon') await this.sync.start(state, append.nextExpectedRevision);
    else await this.sync.push(state, append.nextExpectedRevision);
    return {
      ...state,
      status: state.status === 'active' ? 'ACTIVE' : 'CLOSED',
      revision: append.nextExpectedRevision.toString(),
      position: append.position.toString(),
    };
  }
}
