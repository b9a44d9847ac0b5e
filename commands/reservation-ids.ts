/**
 * The idempotency key the firer buys a reservation's order with, whatever the attempt: a purchase tried again after a
 * crash meets the gate's record of the first one (its order id) instead of taking a second unit.
 */
export const reservationIdempotencyKey = (reservationId: string): string => `reservation:${reservationId}`;
