/** The coupons read model's tables and the columns its queries return. */
export const couponsTable = (suffix: string): string => `coupons${suffix}`;
export const couponsStateTable = (suffix: string): string => `coupons_state${suffix}`;

export const COUPON_COLUMNS =
  'coupon_id, name, description, face_value_cents, per_user_limit, min_account_age_seconds, sale_starts_at, sale_ends_at, coupon_type, min_spend_cents, valid_days, valid_until, inactive, closed, total_stock, placed, cancelled, used';
