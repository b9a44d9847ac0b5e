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
} from './stock-gate-port';
import { CallsInFlight } from './calls-in-flight';

/** A gate in use, with the calls it is serving now. */
interface Slot {
  readonly gate: StockGate;
  readonly calls: CallsInFlight;
}

/**
 * The StockGate every handler uses, in front of the gate of the Redis topology in force: a live switch
 * (GateTopologySwitch) moves new calls to another gate with `use`, then waits with `drain` for the calls the old
 * one is still serving. Costs one counter increment per call.
 */
export class SwitchableStockGate implements StockGate {
  private slot: Slot;

  constructor(gate: StockGate) {
    this.slot = { gate, calls: new CallsInFlight() };
  }

  /** The gate calls go to now. */
  get current(): StockGate {
    return this.slot.gate;
  }

  /** Sends every call from now on to `gate`; resolves a handle on the previous one, to drain. */
  use(gate: StockGate): { readonly gate: StockGate; drain(timeoutMs: number): Promise<boolean> } {
    const previous = this.slot;
    this.slot = { gate, calls: new CallsInFlight() };
    return { gate: previous.gate, drain: (timeoutMs) => previous.calls.drain(timeoutMs) };
  }

  reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    return this.through((gate) => gate.reserve(request));
  }

  reserveInOrder(
    couponId: string,
    nowMs: number,
    purchases: readonly OrderedPurchase[],
  ): Promise<OrderedReserveOutcome> {
    return this.through((gate) => gate.reserveInOrder(couponId, nowMs, purchases));
  }

  setReservationPriority(couponId: string, priorityMs: number): Promise<GateWrite<'set'>> {
    return this.through((gate) => gate.setReservationPriority(couponId, priorityMs));
  }

  release(couponId: string, orderId: string): Promise<GateWrite<'released' | 'not_pending'>> {
    return this.through((gate) => gate.release(couponId, orderId));
  }

  confirm(couponId: string, orderIds: readonly string[]): Promise<void> {
    return this.through((gate) => gate.confirm(couponId, orderIds));
  }

  returnUnit(couponId: string, orderId: string, userId: string): Promise<GateWrite<'returned' | 'not_live'>> {
    return this.through((gate) => gate.returnUnit(couponId, orderId, userId));
  }

  createCoupon(coupon: GateCoupon): Promise<'created' | 'exists'> {
    return this.through((gate) => gate.createCoupon(coupon));
  }

  applyCoupon(coupon: GateCoupon): Promise<GateWrite<'applied' | 'stale'>> {
    return this.through((gate) => gate.applyCoupon(coupon));
  }

  pendingOlderThan(couponId: string, cutoffMs: number, limit: number): Promise<PendingReservation[]> {
    return this.through((gate) => gate.pendingOlderThan(couponId, cutoffMs, limit));
  }

  couponIds(): Promise<string[]> {
    return this.through((gate) => gate.couponIds());
  }

  scanCouponIds(): Promise<string[]> {
    return this.through((gate) => gate.scanCouponIds());
  }

  state(couponId: string): Promise<GateCouponState | null> {
    return this.through((gate) => gate.state(couponId));
  }

  isInitialised(): Promise<boolean> {
    return this.through((gate) => gate.isInitialised());
  }

  markInitialised(): Promise<void> {
    return this.through((gate) => gate.markInitialised());
  }

  beginRecovery(
    couponId: string,
    owner: string,
    nowMs: number,
    leaseUntilMs: number,
    inFlightMs: number,
  ): Promise<RecoveryStart> {
    return this.through((gate) => gate.beginRecovery(couponId, owner, nowMs, leaseUntilMs, inFlightMs));
  }

  loadRecovered(snapshot: GateSnapshot, owner: string): Promise<boolean> {
    return this.through((gate) => gate.loadRecovered(snapshot, owner));
  }

  releaseRecovery(couponId: string, owner: string): Promise<void> {
    return this.through((gate) => gate.releaseRecovery(couponId, owner));
  }

  forget(couponId: string): Promise<void> {
    return this.through((gate) => gate.forget(couponId));
  }

  ping(): Promise<void> {
    return this.through((gate) => gate.ping());
  }

  private through<T>(call: (gate: StockGate) => Promise<T>): Promise<T> {
    const { gate, calls } = this.slot;
    return calls.run(() => call(gate));
  }
}
