/** The orders read model's tables and the columns its queries return. */
export const ordersTable = (suffix: string): string => `orders${suffix}`;
export const ordersStateTable = (suffix: string): string => `orders_state${suffix}`;

export const ORDER_COLUMNS =
  'order_id, user_id, coupon_id, status, placed_at, updated_at, position, coupon_type, min_spend_cents, valid_until, expired_at';
