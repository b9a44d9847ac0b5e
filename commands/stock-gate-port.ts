export type SeckillRefusal =
  'SOLD_OUT' | 'LIMIT_REACHED' | 'SALE_NOT_STARTED' | 'SALE_ENDED' | 'COUPON_CLOSED';

export type ReserveOutcome =
  | { readonly kind: 'reserved' }
  /** The same user already won with this idempotency key: here is that order. */
  | { readonly kind: 'replayed'; readonly orderId: string }
  | { readonly kind: 'refused'; readonly reason: SeckillRefusal; readonly orderIds: readonly string[] }
  /** The gate holds nothing for this coupon (never loaded, or Redis lost its data). */
  | { readonly kind: 'unknown_coupon' }
  /** The gate is being rebuilt from the event store; retry shortly. */
  | { readonly kind: 'rebuilding' };

export interface ReserveRequest {
  readonly couponId: string;
  readonly userId: string;
  readonly orderId: string;
  readonly idempotencyKey: string | null;
  readonly nowMs: number;
}

/** What the gate needs to know of a coupon; applied only when `revision` is newer than what it holds. */
export interface GateCoupon {
  readonly couponId: string;
  readonly revision: bigint;
  readonly totalStock: number;
  readonly perUserLimit: number;
  readonly saleStartsAtMs: number;
  readonly saleEndsAtMs: number;
  readonly closed: boolean;
}

export interface PendingReservation {
  readonly couponId: string;
  readonly orderId: string;
  readonly userId: string;
  readonly reservedAtMs: number;
}

export interface GateCouponState {
  readonly couponId: string;
  readonly totalStock: number;
  readonly sold: number;
  /** Live order ids per user. */
  readonly buyers: ReadonlyMap<string, readonly string[]>;
  /** `userId:key` → order id. */
  readonly idempotencyKeys: ReadonlyMap<string, string>;
}

/** The full state of one coupon's gate, as derived from the event store. */
export interface GateSnapshot {
  readonly coupon: GateCoupon;
  readonly sold: number;
  readonly buyers: ReadonlyMap<string, readonly string[]>;
  readonly idempotencyKeys: ReadonlyMap<string, string>;
}

/**
 * The atomic seckill gate (Redis). A reservation takes one unit and records the buyer; it stays pending until the
 * reconciler confirms it (its order is in the event store) or releases it (it never got there).
 */
export interface StockGate {
  reserve(request: ReserveRequest): Promise<ReserveOutcome>;
  /** Returns a pending reservation's unit; false when it was not pending (already confirmed or released). */
  release(couponId: string, orderId: string): Promise<boolean>;
  /** Marks pending reservations as kept. */
  confirm(couponId: string, orderIds: readonly string[]): Promise<void>;
  /** Returns the unit of a cancelled order; idempotent (false when the order was not live in the gate). */
  returnUnit(couponId: string, orderId: string, userId: string): Promise<boolean>;
  applyCoupon(coupon: GateCoupon): Promise<void>;
  pendingOlderThan(couponId: string, cutoffMs: number, limit: number): Promise<PendingReservation[]>;
  /** Coupon ids the gate knows. */
  couponIds(): Promise<string[]>;
  state(couponId: string): Promise<GateCouponState | null>;
  /** True once the gate was loaded from the event store at least once (survives restarts, not a data loss). */
  isInitialised(): Promise<boolean>;
  /** Stops sales on these coupons until `load` ends the rebuild. */
  beginRebuild(couponIds: readonly string[]): Promise<void>;
  /** Replaces the state of every coupon given, keeping pending reservations, and marks the gate initialised. */
  load(snapshots: readonly GateSnapshot[]): Promise<void>;
  ping(): Promise<void>;
}
