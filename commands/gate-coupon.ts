import type { ExistingCoupon } from '../domain/coupon/coupon-decider';
import type { GateCoupon } from './stock-gate-port';

export const toGateCoupon = (coupon: ExistingCoupon, revision: bigint): GateCoupon => ({
  couponId: coupon.couponId,
  revision,
  totalStock: coupon.totalStock,
  perUserLimit: coupon.perUserLimit,
  minAccountAgeSeconds: coupon.minAccountAgeSeconds,
  saleStartsAtMs: Date.parse(coupon.saleStartsAt),
  saleEndsAtMs: Date.parse(coupon.saleEndsAt),
  closed: coupon.status === 'closed',
});
