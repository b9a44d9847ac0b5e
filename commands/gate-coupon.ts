import type { ExistingCoupon } from '../domain/coupon/coupon-decider';
import type { GateCoupon } from './stock-gate-port';

/** What the gate holds of a coupon, at the revision of its stream's last event. */
export const toGateCoupon = (coupon: ExistingCoupon, revision: bigint): GateCoupon => ({
  couponId: coupon.couponId,
  revision,
  totalStock: coupon.totalStock,
  perUserLimit: coupon.perUserLimit,
  minAccountAgeSeconds: coupon.minAccountAgeSeconds,
  saleStartsAtMs: Date.parse(coupon.saleStartsAt),
  saleEndsAtMs: Date.parse(coupon.saleEndsAt),
  closed: coupon.status === 'closed',
  couponType: coupon.couponType,
  deactivated: coupon.deactivated,
  minSpendCents: coupon.minSpendCents,
  validDays: coupon.validDays,
  validUntilMs: coupon.validUntil === null ? null : Date.parse(coupon.validUntil),
});
