import { createHash } from 'node:crypto';
import { keyHash16 } from '../domain/shared/shard-key';

/**
 * The id of a buyer's `n`th reservation of a coupon (n = 0, 1, …): derived, not drawn, so that the reservation
 * stream itself is the uniqueness key. Two requests placing the buyer's reservation of a coupon at once both aim at
 * the same stream with "no stream expected" and one of them loses; a buyer's next reservation (after a cancellation,
 * say) is the next `n`. Shaped as a UUID (version 8, RFC 9562's custom layout: SHA-256 bits) whose last four hex
 * digits are the buyer's 16-bit key hash, as an order id's are, so the reservation is found in its buyer's read shard
 * from its id alone.
 */
export const reservationIdOf = (couponId: string, userId: string, n: number): string => {
  const hash = createHash('sha256')
    .update(`reservation\n${couponId}\n${userId}\n${String(n)}`)
    .digest('hex');
  const variant = ((Number.parseInt(hash.charAt(16), 16) & 0x3) | 0x8).toString(16);
  const key = keyHash16(userId).toString(16).padStart(4, '0');
  return `${hash.slice(0, 8)}-${hash.slice(8, 12)}-8${hash.slice(13, 16)}-${variant}${hash.slice(17, 20)}-${hash.slice(20, 28)}${key}`;
};

/**
 * The idempotency key the firer buys a reservation's order with, whatever the attempt: a purchase tried again after a
 * crash meets the gate's record of the first one (its order id) instead of taking a second unit.
 */
export const reservationIdempotencyKey = (reservationId: string): string => `reservation:${reservationId}`;
