import {
  couponDecider,
  type CouponCommand,
  type CouponState,
  type ExistingCoupon,
} from '../domain/coupon/coupon-decider';
import { couponStreamId, type CouponEvent, type CouponType } from '../domain/coupon/coupon-events';
import { AggregateHandler } from './aggregate-handler';
import type { Clock } from './clock-port';
import type { CommandContext } from './command-context';
import type { EventStore } from './event-store-port';
import type { GateSync } from './gate-sync';
import type { IdGenerator } from './id-generator-port';
import { couponEventsOf } from './stored-events';
import type { StockGate } from './stock-gate-port';

/** A coupon as a command left it, with where its last event was stored. */
export interface CouponCommandResult extends Omit<ExistingCoupon, 'status' | 'deactivated'> {
  /** CLOSED wins over INACTIVE (deactivated): a closed coupon never sells again. */
  readonly status: 'ACTIVE' | 'INACTIVE' | 'CLOSED';
  readonly revision: string;
  readonly position: string;
}

export interface NewCoupon {
  /** Absent: `SECKILL`. */
  readonly couponType?: CouponType;
  readonly name: string;
  readonly description?: string;
  readonly faceValueCents: number;
  readonly totalStock: number;
  readonly perUserLimit: number;
  /** How old a buyer's account must be to buy, in seconds; absent or 0: no such rule. */
  readonly minAccountAgeSeconds?: number;
  /** The least purchase, in cents, its orders may be used on; absent or 0: none. */
  readonly minSpendCents?: number;
  /** Required of a `SECKILL` coupon, absent from a `REGULAR` one (its window is always open). */
  readonly saleStartsAt?: Date;
  readonly saleEndsAt?: Date;
  /** At most one: orders usable `validDays` whole days after they are placed, or until `validUntil`. */
  readonly validDays?: number;
  readonly validUntil?: Date;
}

/**
 * Coupon management: each change (creation, stock, window change, deactivation and reactivation, closing) is appended
 * to the coupon's stream, then pushed to the stock gate, whose next reservation of the coupon obeys it.
 */
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
      couponType: coupon.couponType ?? 'SECKILL',
      name: coupon.name,
      description: coupon.description ?? '',
      faceValueCents: coupon.faceValueCents,
      totalStock: coupon.totalStock,
      perUserLimit: coupon.perUserLimit,
      minAccountAgeSeconds: coupon.minAccountAgeSeconds ?? 0,
      minSpendCents: coupon.minSpendCents ?? 0,
      saleStartsAt: coupon.saleStartsAt ?? null,
      saleEndsAt: coupon.saleEndsAt ?? null,
      validDays: coupon.validDays ?? null,
      validUntil: coupon.validUntil ?? null,
      now: this.clock.now(),
    } as const;
    return this.run(couponId, { type: 'CreateCoupon', data }, context);
  }

  /** Moves the sale window of a `SECKILL` coupon whose window has not opened yet. */
  changeSaleWindow(
    couponId: string,
    window: { readonly saleStartsAt: Date; readonly saleEndsAt: Date },
    context: CommandContext,
  ): Promise<CouponCommandResult> {
    const data = { couponId, ...window, now: this.clock.now() };
    return this.run(couponId, { type: 'ChangeSaleWindow', data }, context);
  }

  /** Stops every sale and claim of the coupon until it is reactivated; orders already placed are untouched. */
  deactivate(couponId: string, context: CommandContext): Promise<CouponCommandResult> {
    return this.run(
      couponId,
      { type: 'DeactivateCoupon', data: { couponId, now: this.clock.now() } },
      context,
    );
  }

  reactivate(couponId: string, context: CommandContext): Promise<CouponCommandResult> {
    return this.run(
      couponId,
      { type: 'ReactivateCoupon', data: { couponId, now: this.clock.now() } },
      context,
    );
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
    const { deactivated, status, ...coupon } = state;
    return {
      ...coupon,
      status: status === 'closed' ? 'CLOSED' : deactivated ? 'INACTIVE' : 'ACTIVE',
      revision: append.nextExpectedRevision.toString(),
      position: append.position.toString(),
    };
  }
}
