/** The shapes the APIs answer (their OpenAPI documents at /openapi.json are the reference). Times are ISO-8601 UTC. */

export type Role = 'user' | 'admin';
export type CouponType = 'SECKILL' | 'REGULAR';
export type CouponStatus = 'ACTIVE' | 'INACTIVE' | 'CLOSED';
export type OrderStatus = 'PLACED' | 'CANCELLED' | 'USED' | 'EXPIRED';

export interface LoginAnswer {
  readonly token: string;
  /** Seconds the token lives. */
  readonly expiresIn: number;
  readonly userId: string;
  readonly role: Role;
}

export interface Coupon {
  readonly couponId: string;
  readonly name: string;
  readonly description: string;
  readonly couponType: CouponType;
  readonly faceValueCents: number;
  readonly minSpendCents: number;
  readonly perUserLimit: number;
  readonly validDays: number | null;
  readonly validUntil: string | null;
  readonly saleStartsAt: string;
  readonly saleEndsAt: string;
  readonly totalStock: number;
  readonly sold: number;
  readonly remaining: number;
  readonly status: CouponStatus;
}

/** A write's answer carries the global position of its event: pass it as `minPosition` to read your write. */
export interface Positioned {
  readonly position: string;
}

export interface PlacedOrder extends Positioned {
  readonly orderId: string;
  readonly couponId: string;
  readonly status: OrderStatus;
}

export interface Order {
  readonly orderId: string;
  readonly couponId: string;
  readonly userId: string;
  readonly status: OrderStatus;
  /** Null only for orders stored before these fields existed. */
  readonly placedAt: string | null;
  readonly couponType: CouponType | null;
  readonly minSpendCents: number;
  readonly validUntil: string | null;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export type ReservationStatus = 'PENDING' | 'FIRING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'EXPIRED';

export interface Reservation {
  readonly reservationId: string;
  readonly couponId: string;
  readonly status: ReservationStatus;
  readonly orderId: string | null;
  readonly code: string | null;
  readonly reservedAt: string | null;
}

export interface Notification {
  readonly notificationId: string;
  readonly kind: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly cursor: string;
  readonly read: boolean;
}

export interface ProjectionLagReport {
  readonly head: string;
  readonly maxLag: number;
  readonly projections: Readonly<Record<string, { readonly checkpoint: string; readonly lag: number }>>;
}

export interface SaleStats {
  readonly couponId: string;
  /** Attempts by outcome code (PLACED, REPLAYED, SOLD_OUT, …), summed over every write-api replica. */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly asOf: string;
}

/** What read-api tells the app at start (`/app/config.json`). */
export interface AppConfig {
  readonly writeApiUrl: string;
}
