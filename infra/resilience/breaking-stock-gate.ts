import type {
  GateCoupon,
  GateCouponState,
  GateSnapshot,
  GateWrite,
  OrderedPurchase,
  OrderedReserveOutcome,
  PendingReservation,
  RecoveryStart,
  ReserveOutcome,
  ReserveRequest,
  StockGate,
} from '../../commands/stock-gate-port';
import type { DependencyBreaker } from './dependency-breaker';

/** The StockGate port behind the circuit breaker of its store (Redis): every call goes through it. */
export class BreakingStockGate implements StockGate {
  constructor(
    private readonly gate: StockGate,
    private readonly breaker: DependencyBreaker,
  ) {}

  reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    return this.breaker.execute(() => this.gate.reserve(request));
  }

  reserveInOrder(
    couponId: string,
    nowMs: number,
    purchases: readonly OrderedPurchase[],
  ): Promise<OrderedReserveOutcome> {
    return this.breaker.execute(() => this.gate.reserveInOrder(couponId, nowMs, purchases));
  }

  setReservationPriority(couponId: string, priorityMs: number): Promise<GateWrite<'set'>> {
    return this.breaker.execute(() => this.gate.setReservationPriority(couponId, priorityMs));
  }

  release(couponId: string, orderId: string): Promise<GateWrite<'released' | 'not_pending'>> {
    return this.breaker.execute(() => this.gate.release(couponId, orderId));
  }

  confirm(couponId: string, orderIds: readonly string[]): Promise<void> {
    return this.breaker.execute(() => this.gate.confirm(couponId, orderIds));
  }

  returnUnit(couponId: string, orderId: string, userId: string): Promise<GateWrite<'returned' | 'not_live'>> {
    return this.breaker.execute(() => this.gate.returnUnit(couponId, orderId, userId));
  }

  createCoupon(coupon: GateCoupon): Promise<'created' | 'exists'> {
    return this.breaker.execute(() => this.gate.createCoupon(coupon));
  }

  applyCoupon(coupon: GateCoupon): Promise<GateWrite<'applied' | 'stale'>> {
    return this.breaker.execute(() => this.gate.applyCoupon(coupon));
  }

  pendingOlderThan(couponId: string, cutoffMs: number, limit: number): Promise<PendingReservation[]> {
    return this.breaker.execute(() => this.gate.pendingOlderThan(couponId, cutoffMs, limit));
  }

  couponIds(): Promise<string[]> {
    return this.breaker.execute(() => this.gate.couponIds());
  }

  scanCouponIds(): Promise<string[]> {
    return this.breaker.execute(() => this.gate.scanCouponIds());
  }

  state(couponId: string): Promise<GateCouponState | null> {
    return this.breaker.execute(() => this.gate.state(couponId));
  }

  isInitialised(): Promise<boolean> {
    return this.breaker.execute(() => this.gate.isInitialised());
  }

  markInitialised(): Promise<void> {
    return this.breaker.execute(() => this.gate.markInitialised());
  }

  beginRecovery(
    couponId: string,
    owner: string,
    nowMs: number,
    leaseUntilMs: number,
    inFlightMs: number,
  ): Promise<RecoveryStart> {
    return this.breaker.execute(() =>
      this.gate.beginRecovery(couponId, owner, nowMs, leaseUntilMs, inFlightMs),
    );
  }

  loadRecovered(snapshot: GateSnapshot, owner: string): Promise<boolean> {
    return this.breaker.execute(() => this.gate.loadRecovered(snapshot, owner));
  }

  releaseRecovery(couponId: string, owner: string): Promise<void> {
    return this.breaker.execute(() => this.gate.releaseRecovery(couponId, owner));
  }

  forget(couponId: string): Promise<void> {
    return this.breaker.execute(() => this.gate.forget(couponId));
  }

  ping(): Promise<void> {
    return this.breaker.execute(() => this.gate.ping());
  }
}
