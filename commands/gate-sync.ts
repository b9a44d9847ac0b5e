import { couponDecider, type ExistingCoupon } from '../domain/coupon/coupon-decider';
import { couponStreamId } from '../domain/coupon/coupon-events';
import { fold } from '../domain/shared/event';
import type { EventStore } from './event-store-port';
import { toGateCoupon } from './gate-coupon';
import { couponEventsOf } from './stored-events';
import type { StockGate } from './stock-gate-port';

/** Pushes a coupon's settings (stock, limit, window, status) from its stream in the event store to the stock gate. */
export class GateSync {
  constructor(
    private readonly store: EventStore,
    private readonly gate: StockGate,
  ) {}

  /** Loads a coupon from the event store into the gate; null when the coupon does not exist. */
  async syncCoupon(couponId: string): Promise<ExistingCoupon | null> {
    const events = await this.store.readStream(couponStreamId(couponId));
    const state = fold(couponDecider, couponEventsOf(events));
    const last = events.at(-1);
    if (state.status === 'absent' || last === undefined) return null;
    await this.gate.applyCoupon(toGateCoupon(state, last.revision));
    return state;
  }
}
