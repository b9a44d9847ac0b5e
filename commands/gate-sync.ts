import { couponDecider, type ExistingCoupon } from '../domain/coupon/coupon-decider';
import { couponStreamId } from '../domain/coupon/coupon-events';
import { fold } from '../domain/shared/event';
import type { EventStore } from './event-store-port';
import { toGateCoupon } from './gate-coupon';
import type { GateRecovery } from './gate-recovery';
import { couponEventsOf } from './stored-events';
import type { StockGate } from './stock-gate-port';

/**
 * Pushes a coupon's settings (stock, limit, window, status) to the stock gate. A coupon whose gate keys turn out to be
 * damaged is handed to GateRecovery, never recreated here: its settings are in the event store already, and the
 * recovery derives everything else.
 */
export class GateSync {
  constructor(
    private readonly store: EventStore,
    private readonly gate: StockGate,
    private readonly recovery: GateRecovery,
  ) {}

  /** A coupon just created (its first event): nothing of it can have been sold, so the gate may start it empty. */
  async start(coupon: ExistingCoupon, revision: bigint): Promise<void> {
    if ((await this.gate.createCoupon(toGateCoupon(coupon, revision))) === 'exists')
      await this.push(coupon, revision);
  }

  /** A change of an existing coupon. */
  async push(coupon: ExistingCoupon, revision: bigint): Promise<void> {
    if ((await this.gate.applyCoupon(toGateCoupon(coupon, revision))) === 'damaged')
      this.recoverLater(coupon.couponId);
  }

  /** Re-applies a coupon from its stream (the reconciler's periodic sync); null when the coupon does not exist. */
  async syncCoupon(couponId: string): Promise<ExistingCoupon | null> {
    const events = await this.store.readStream(couponStreamId(couponId));
    const state = fold(couponDecider, couponEventsOf(events));
    const last = events.at(-1);
    if (state.status === 'absent' || last === undefined) return null;
    await this.push(state, last.revision);
    return state;
  }

  /** The gate of this coupon needs rebuilding; the caller does not wait (a failed pass is logged by GateRecovery). */
  recoverLater(couponId: string): void {
    this.recovery.recover([couponId]).catch(() => undefined);
  }
}
