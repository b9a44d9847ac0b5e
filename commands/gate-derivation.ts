import { couponDecider, type CouponState } from '../domain/coupon/coupon-decider';
import { assertNever } from '../domain/shared/event';
import type { RecordedEvent } from './event-store-port';
import { toGateCoupon } from './gate-coupon';
import { idempotencyField, type GateSnapshot } from './stock-gate-port';
import { decodeRecorded } from './stored-events';

interface OrderFacts {
  readonly couponId: string;
  readonly userId: string;
  readonly idempotencyKey: string | null;
  live: boolean;
}

/**
 * What the gate of some coupons (or of all, when `only` is null) must hold, folded from the event store's log:
 * settings and revision from each coupon's stream, and from the order streams every live order (placed and not
 * cancelled) and every idempotency key. Feed it events in log order with `apply`, then read `snapshot`.
 */
export class GateDerivation {
  private readonly coupons = new Map<string, { state: CouponState; revision: bigint }>();
  private readonly orders = new Map<string, OrderFacts>();
  private readonly ordersOfCoupon = new Map<string, Map<string, OrderFacts>>();
  /** Per coupon, its reservations that are live (pending or firing): what keeps live buyers waiting. */
  private readonly liveReservations = new Map<string, Set<string>>();
  events = 0;

  /**
   * `reservationPriorityMs`: how long after the window opens live buyers wait while a coupon has live reservations
   * (COUPONKILL_RESERVATION_PRIORITY_MS).
   */
  constructor(
    private readonly only: ReadonlySet<string> | null,
    private readonly reservationPriorityMs = 0,
  ) {}

  /** Folds one stored event; every event type is named, so a new one fails the typecheck here. */
  apply(recorded: RecordedEvent): void {
    const { event } = decodeRecorded(recorded);
    this.events += 1;
    switch (event.type) {
      case 'CouponCreated':
      case 'CouponStockAdded':
      case 'CouponSaleWindowChanged':
      case 'CouponDeactivated':
      case 'CouponReactivated':
      case 'CouponClosed': {
        if (!this.wanted(event.data.couponId)) return;
        const current = this.coupons.get(event.data.couponId)?.state ?? couponDecider.initialState;
        this.coupons.set(event.data.couponId, {
          state: couponDecider.evolve(current, event),
          revision: recorded.revision,
        });
        return;
      }
      case 'OrderPlaced': {
        const { orderId, couponId, userId, idempotencyKey } = event.data;
        if (!this.wanted(couponId)) return;
        const facts: OrderFacts = { couponId, userId, idempotencyKey, live: true };
        this.orders.set(orderId, facts);
        let ofCoupon = this.ordersOfCoupon.get(couponId);
        if (!ofCoupon) this.ordersOfCoupon.set(couponId, (ofCoupon = new Map<string, OrderFacts>()));
        ofCoupon.set(orderId, facts);
        return;
      }
      case 'OrderCancelled': {
        const order = this.orders.get(event.data.orderId);
        if (order) order.live = false;
        return;
      }
      case 'ReservationPlaced': {
        const { couponId, reservationId } = event.data;
        if (!this.wanted(couponId)) return;
        let live = this.liveReservations.get(couponId);
        if (!live) this.liveReservations.set(couponId, (live = new Set()));
        live.add(reservationId);
        return;
      }
      case 'ReservationSucceeded':
      case 'ReservationFailed':
      case 'ReservationCancelled':
      case 'ReservationExpired':
        this.liveReservations.get(event.data.couponId)?.delete(event.data.reservationId);
        return;
      // A used order keeps its unit; an abandoned seckill never held one; users have no stock.
      case 'OrderUsed':
      case 'SeckillAbandoned':
      case 'UserRegistered':
      case 'UserPasswordChanged':
      case 'UserDisabled':
      case 'UserEnabled':
      case 'OrderExpiryNoticed':
      case 'OrderExpired':
      case 'ReservationFiring':
      case 'NotificationRead':
      case 'NotificationsReadUpTo':
        return;
      default:
        assertNever(event);
    }
  }

  /** The coupons the log holds (of those asked for). */
  couponIds(): string[] {
    return [...this.coupons.entries()].filter(([, c]) => c.state.status !== 'absent').map(([id]) => id);
  }

  /** The gate state of one coupon; null when the log holds no such coupon. */
  snapshot(couponId: string): GateSnapshot | null {
    const coupon = this.coupons.get(couponId);
    if (!coupon || coupon.state.status === 'absent') return null;
    const buyers = new Map<string, string[]>();
    const idempotencyKeys = new Map<string, string>();
    let sold = 0;
    for (const [orderId, order] of this.ordersOfCoupon.get(couponId) ?? []) {
      if (order.idempotencyKey !== null)
        idempotencyKeys.set(idempotencyField(order.userId, order.idempotencyKey), orderId);
      if (!order.live) continue;
      buyers.set(order.userId, [...(buyers.get(order.userId) ?? []), orderId]);
      sold += 1;
    }
    const reservationPriorityMs =
      (this.liveReservations.get(couponId)?.size ?? 0) > 0 ? this.reservationPriorityMs : 0;
    return {
      coupon: toGateCoupon(coupon.state, coupon.revision),
      sold,
      buyers,
      idempotencyKeys,
      reservationPriorityMs,
    };
  }

  private wanted(couponId: string): boolean {
    return this.only === null || this.only.has(couponId);
  }
}
