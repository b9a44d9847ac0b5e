import type { CouponType } from '../domain/coupon/coupon-events';
import type { OrderTerms } from '../domain/order/order-decider';

export type SeckillRefusal =
  | 'SOLD_OUT'
  | 'LIMIT_REACHED'
  | 'SALE_NOT_STARTED'
  | 'SALE_ENDED'
  | 'COUPON_CLOSED'
  /** The buyer's account is younger than the coupon's `minAccountAgeSeconds` (or its age is not known). */
  | 'ACCOUNT_TOO_NEW'
  /** An admin deactivated the coupon: nothing is sold or claimed until it is reactivated. */
  | 'COUPON_INACTIVE'
  /** A seckill of a `REGULAR` coupon (claim it instead). */
  | 'NOT_A_SECKILL_COUPON'
  /** A claim of a `SECKILL` coupon (buy it in its sale window instead). */
  | 'NOT_A_REGULAR_COUPON'
  /** The coupon's fixed `validUntil` has passed: an order of it would be born unusable. */
  | 'COUPON_EXPIRED';

export type ReserveOutcome =
  /** A unit is the buyer's; `terms` are the coupon's, as the gate holds them, for the order to carry. */
  | { readonly kind: 'reserved'; readonly terms: OrderTerms }
  /** The same user already won with this idempotency key: here is that order. */
  | { readonly kind: 'replayed'; readonly orderId: string }
  | { readonly kind: 'refused'; readonly reason: SeckillRefusal; readonly orderIds: readonly string[] }
  /** The gate holds no key of this coupon (never loaded, lost, or no such coupon). */
  | { readonly kind: 'unknown_coupon' }
  /** Some of the coupon's keys are gone: its state can no longer be trusted and it sells nothing until recovered. */
  | { readonly kind: 'damaged' }
  /** The coupon is being recovered from the event store; `leaseExpiresAtMs` is when its recoverer's lease ends. */
  | { readonly kind: 'rebuilding'; readonly leaseExpiresAtMs: number };

export interface ReserveRequest {
  readonly couponId: string;
  /**
   * The type of coupon the caller's route sells (`SECKILL`, the default: the seckill; `REGULAR`: the claim); a coupon
   * of the other type is refused.
   */
  readonly couponType?: CouponType;
  readonly userId: string;
  readonly orderId: string;
  readonly idempotencyKey: string | null;
  readonly nowMs: number;
  /**
   * When the buyer's account was registered, epoch ms, from a trusted source (the signed token); null when unknown,
   * which a coupon with an account-age rule refuses.
   */
  readonly registeredAtMs: number | null;
}

/** A reserved buyer's purchase, fired by RESERVE_MANY in the order given (commands/reservation-firing.ts). */
export interface OrderedPurchase {
  readonly userId: string;
  readonly orderId: string;
  /** Derived from the reservation: a re-fire after a crash meets the gate's idempotency instead of buying twice. */
  readonly idempotencyKey: string;
  readonly registeredAtMs: number | null;
}

/** What the gate decided for one purchase of an ordered batch. */
export type PurchaseOutcome = Extract<ReserveOutcome, { kind: 'reserved' | 'replayed' | 'refused' }>;

/** The batch's outcomes in its order, or, for all of them, the coupon's state that kept the gate from deciding. */
export type OrderedReserveOutcome =
  | { readonly kind: 'decided'; readonly outcomes: readonly PurchaseOutcome[] }
  | Extract<ReserveOutcome, { kind: 'unknown_coupon' | 'damaged' | 'rebuilding' }>;

/** What the gate needs to know of a coupon; applied only when `revision` is newer than what it holds. */
export interface GateCoupon {
  readonly couponId: string;
  readonly revision: bigint;
  readonly totalStock: number;
  readonly perUserLimit: number;
  /** A buyer's account must be at least this old to buy, in seconds (0: no such rule). */
  readonly minAccountAgeSeconds: number;
  readonly saleStartsAtMs: number;
  readonly saleEndsAtMs: number;
  readonly closed: boolean;
  readonly couponType: CouponType;
  /** Deactivated by an admin: refuses every buyer with COUPON_INACTIVE until reactivated. */
  readonly deactivated: boolean;
  /** What the gate hands each order it reserves (OrderTerms): the minimum spend and the validity rule. */
  readonly minSpendCents: number;
  readonly validDays: number | null;
  /** The coupon's fixed validUntil, epoch ms; null when it has none. */
  readonly validUntilMs: number | null;
}

/** The settings a coupon's gate holds beside its stock, read back by `state` (tests and rebuild checks compare them). */
export interface GateRules {
  readonly couponType: CouponType;
  readonly deactivated: boolean;
  readonly saleStartsAtMs: number;
  readonly saleEndsAtMs: number;
  readonly minSpendCents: number;
  readonly validDays: number | null;
  readonly validUntilMs: number | null;
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
  readonly minAccountAgeSeconds: number;
  readonly rules: GateRules;
  readonly sold: number;
  /** Live order ids per user. */
  readonly buyers: ReadonlyMap<string, readonly string[]>;
  /** idempotencyField(user, key) → order id. */
  readonly idempotencyKeys: ReadonlyMap<string, string>;
}

/**
 * How a buyer's idempotency key is filed: user id and key joined by a newline, which neither may contain (user ids are
 * token subjects, keys visible ASCII), so no two buyers' keys can ever be confused.
 */
export const idempotencyField = (userId: string, key: string): string => `${userId}\n${key}`;

/** The full state of one coupon's gate, as derived from the event store. */
export interface GateSnapshot {
  readonly coupon: GateCoupon;
  /**
   * How long after the window opens live buyers wait while reserved buyers fire (ms; 0 for none): the configured
   * priority while the log holds a live (pending or firing) reservation of the coupon, else 0.
   */
  readonly reservationPriorityMs: number;
  readonly sold: number;
  readonly buyers: ReadonlyMap<string, readonly string[]>;
  readonly idempotencyKeys: ReadonlyMap<string, string>;
}

/** A recovery of one coupon has begun: its sales are stopped under the recoverer's lease. */
export type RecoveryStart =
  | {
      readonly kind: 'began';
      /**
       * Epoch ms until which appends reserved before the coupon's pending reservations were lost may still land
       * (0 when none were lost): the recovery reads the event store only after it.
       */
      readonly waitUntilMs: number;
    }
  /** Another recoverer (`holder`, its owner name) holds a live lease on it. */
  | { readonly kind: 'busy'; readonly holder?: string };

/** `damaged`: the coupon's keys are not all there, nothing was changed. */
export type GateWrite<Done extends string> = Done | 'damaged';

/**
 * The atomic seckill gate (Redis). A reservation takes one unit and records the buyer; it stays pending until the
 * reconciler confirms it (its order is in the event store) or releases it (it never got there).
 *
 * Every path that creates or rewrites a coupon's gate state derives it from the event store (GateRecovery) except
 * `createCoupon`, which only ever starts a coupon no key of which exists. A coupon whose keys are partly gone is
 * `damaged`: it sells nothing, and writes to it are refused, until a recovery has loaded it again.
 */
export interface StockGate {
  reserve(request: ReserveRequest): Promise<ReserveOutcome>;
  /**
   * Reserved buyers' purchases, decided one after another in the order given, in one atomic step, each exactly as
   * `reserve` decides a live buyer's (window, per-user limit, stock, account age, idempotency) but allowed during the
   * coupon's reservation priority.
   */
  reserveInOrder(
    couponId: string,
    nowMs: number,
    purchases: readonly OrderedPurchase[],
  ): Promise<OrderedReserveOutcome>;
  /**
   * Live buyers of the coupon wait `priorityMs` after its window opens (answered SALE_NOT_STARTED) while reserved
   * buyers fire; 0 ends that at once. Never creates a coupon (`damaged` when its keys are not all there).
   */
  setReservationPriority(couponId: string, priorityMs: number): Promise<GateWrite<'set'>>;
  /** Returns a pending reservation's unit; `not_pending` when it was already confirmed or released. */
  release(couponId: string, orderId: string): Promise<GateWrite<'released' | 'not_pending'>>;
  /** Marks pending reservations as kept. */
  confirm(couponId: string, orderIds: readonly string[]): Promise<void>;
  /**
   * Returns the unit of a cancelled order; idempotent (`not_live` when the order held none). During a recovery the
   * return is also recorded and applied again when the recovery loads the coupon.
   */
  returnUnit(couponId: string, orderId: string, userId: string): Promise<GateWrite<'returned' | 'not_live'>>;
  /** Starts a brand-new coupon with nothing sold; `exists` (and nothing written) when any key of it exists. */
  createCoupon(coupon: GateCoupon): Promise<'created' | 'exists'>;
  /** Applies a coupon's settings when `revision` is newer than the gate's; never creates a coupon. */
  applyCoupon(coupon: GateCoupon): Promise<GateWrite<'applied' | 'stale'>>;
  pendingOlderThan(couponId: string, cutoffMs: number, limit: number): Promise<PendingReservation[]>;
  /** Coupon ids the gate knows. */
  couponIds(): Promise<string[]>;
  /** Coupon ids that have any key in the gate, found by scanning (repairs a lost registry). */
  scanCouponIds(): Promise<string[]>;
  /** null when the coupon's meta is gone. */
  state(couponId: string): Promise<GateCouponState | null>;
  /** True once the gate was loaded from the event store at least once (survives restarts, not a data loss). */
  isInitialised(): Promise<boolean>;
  markInitialised(): Promise<void>;
  /**
   * Stops the coupon's sales under `owner`'s lease (until `leaseUntilMs`), recreating whichever of its keys are gone;
   * when its pending reservations were lost, in-flight appends may land until `nowMs + inFlightMs`.
   */
  beginRecovery(
    couponId: string,
    owner: string,
    nowMs: number,
    leaseUntilMs: number,
    inFlightMs: number,
  ): Promise<RecoveryStart>;
  /**
   * Replaces the coupon's state with `snapshot` (derived from the event store), keeping pending reservations and
   * returns recorded during the recovery, and reopens sales. False when `owner` no longer holds the lease.
   */
  loadRecovered(snapshot: GateSnapshot, owner: string): Promise<boolean>;
  /** Gives up `owner`'s lease at once (sales stay stopped), so the next recovery need not wait for it to expire. */
  releaseRecovery(couponId: string, owner: string): Promise<void>;
  /** Deletes every key of a coupon the event store does not know. */
  forget(couponId: string): Promise<void>;
  ping(): Promise<void>;
}
