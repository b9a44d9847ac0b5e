import type { DomainEvent } from '../shared/event';
import type { Upcaster } from '../shared/upcaster';

/** Schema version 2: v1 plus `description`. */
export type CouponCreated = DomainEvent<
  'CouponCreated',
  {
    couponId: string;
    name: string;
    description: string;
    faceValueCents: number;
    totalStock: number;
    perUserLimit: number;
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
  CouponCreated: 2,
  CouponStockAdded: 1,
  CouponClosed: 1,
};

/** Coupons created before descriptions existed read as having an empty one. */
export const COUPON_UPCASTERS: readonly Upcaster[] = [
  { type: 'CouponCreated', fromVersion: 1, upcast: (data) => ({ ...data, description: '' }) },
];

export const couponStreamId = (couponId: string): string => `coupon-${couponId}`;
