import type { DomainEvent } from '../shared/event';

export type CouponCreated = DomainEvent<
  'CouponCreated',
  {
    couponId: string;
    name: string;
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

export const couponStreamId = (couponId: string): string => `coupon-${couponId}`;
