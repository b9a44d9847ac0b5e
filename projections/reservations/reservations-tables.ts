/** The reservations read model's table and the columns its queries return. */
export const reservationsTable = (suffix: string): string => `reservations${suffix}`;

export const RESERVATION_COLUMNS =
  'reservation_id, user_id, coupon_id, status, order_id, code, reserved_at, updated_at, placed_position, position';
