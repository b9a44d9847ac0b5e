import type { DomainEvent } from '../shared/event';
import type { Upcaster } from '../shared/upcaster';

/**
 * `SECKILL`: sold only inside its sale window, through the stock gate. `REGULAR`: claimed any time while stock lasts
 * (same gate, same per-user limit); its window is always open.
 */
export type CouponType = 'SECKILL' | 'REGULAR';

/**
 * How long an order of the coupon stays usable: `validDays` whole days after the order is placed, or until the fixed
 * time `validUntil` (ISO-8601), or for ever when both are null. At most one of the two is set.
 */
export interface CouponValidity {
  validDays: number | null;
  validUntil: string | null;
}

/**
 * Schema version 4: v1, plus `description` (v2), plus `minAccountAgeSeconds` (v3: how old a buyer's account must be
 * to buy, 0 for no such rule), plus `couponType`, `minSpendCents` (the least order amount, in cents, the coupon may be
 * used on; 0 for none) and the validity rule (v4).
 */
export type CouponCreated = DomainEvent<
  'CouponCreated',
  {
    couponId: string;
    couponType: CouponType;
    name: string;
    description: string;
    faceValueCents: number;
    totalStock: number;
    perUserLimit: number;
    minAccountAgeSeconds: number;
    minSpendCents: number;
    saleStartsAt: string;
    saleEndsAt: string;
  } & CouponValidity
>;

/** The admin moved the sale window of a coupon whose window had not opened yet. */
export type CouponSaleWindowChanged = DomainEvent<
  'CouponSaleWindowChanged',
  { couponId: string; saleStartsAt: string; saleEndsAt: string; changedAt: string }
>;

/** Deactivated: nobody can buy or claim it until it is reactivated; orders already placed are untouched. */
export type CouponDeactivated = DomainEvent<'CouponDeactivated', { couponId: string; deactivatedAt: string }>;
export type CouponReactivated = DomainEvent<'CouponReactivated', { couponId: string; reactivatedAt: string }>;

export type CouponStockAdded = DomainEvent<
  'CouponStockAdded',
  { couponId: string; quantity: number; totalStock: number }
>;

export type CouponClosed = DomainEvent<'CouponClosed', { couponId: string; closedAt: string }>;

export type CouponEvent =
  | CouponCreated
  | CouponStockAdded
  | CouponSaleWindowChanged
  | CouponDeactivated
  | CouponReactivated
  | CouponClosed;

/** The schema version each coupon event is written with today. */
export const COUPON_EVENT_VERSIONS: { readonly [T in CouponEvent['type']]: number } = {
  CouponCreated: 4,
  CouponStockAdded: 1,
  CouponSaleWindowChanged: 1,
  CouponDeactivated: 1,
  CouponReactivated: 1,
  CouponClosed: 1,
};

/**
 * Coupons created before descriptions existed read as having an empty one; those created before the account-age rule
 * existed, as having none (0); those created before coupon types and usage rules existed, as the flash-sale coupons
 * they were, with no minimum spend and orders valid for ever.
 */
export const COUPON_UPCASTERS: readonly Upcaster[] = [
  { type: 'CouponCreated', fromVersion: 1, upcast: (data) => ({ ...data, description: '' }) },
  { type: 'CouponCreated', fromVersion: 2, upcast: (data) => ({ ...data, minAccountAgeSeconds: 0 }) },
  {
    type: 'CouponCreated',
    fromVersion: 3,
    upcast: (data) => ({
      ...data,
      couponType: 'SECKILL',
      minSpendCents: 0,
      validDays: null,
      validUntil: null,
    }),
  },
];

export const couponStreamId = (couponId: string): string => `coupon-${couponId}`;
