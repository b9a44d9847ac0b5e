import type { DomainEvent } from '../shared/event';
import type { Upcaster } from '../shared/upcaster';

/**
 * Schema version 3: v1, plus `description` (v2), plus `minAccountAgeSeconds` (v3: how old a buyer's account must be
 * to buy, 0 for no such rule).
 */
export type CouponCreated = DomainEvent<
  'CouponCreated',
  {
    couponId: string;
    name: string;
    description: string;
    faceValueCents: number;
    totalStock: number;
    perUserLimit: number;
    minAccountAgeSeconds: number;
    saleStartsAt: string;
    saleEndsAt: string;
  }
>;

export type CouponStockAdded = DomainEvent<
  'CouponStockAdded',
  { couponId: string; quantity: number; totalStock: number }
>;

export type CouponClosed = DomainEvent<'CouponClosed', { couponId: string; closedAt: string }>;

export type CouponEvent = CouponCreated | CouponStockAdded | CouponClosed;

/** The schema version each coupon event is written with today. */
export const COUPON_EVENT_VERSIONS: { readonly [T in CouponEvent['type']]: number } = {
  CouponCreated: 3,
  CouponStockAdded: 1,
  CouponClosed: 1,
};

/**
 * Coupons created before descriptions existed read as having an empty one; those created before the account-age rule
 * existed, as having none (0).
 */
export const COUPON_UPCASTERS: readonly Upcaster[] = [
  { type: 'CouponCreated', fromVersion: 1, upcast: (data) => ({ ...data, description: '' }) },
  { type: 'CouponCreated', fromVersion: 2, upcast: (data) => ({ ...data, minAccountAgeSeconds: 0 }) },
];

export const couponStreamId = (couponId: string): string => `coupon-${couponId}`;
