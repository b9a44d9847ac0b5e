import type { DomainEvent } from '../shared/event';
import type { Upcaster } from '../shared/upcaster';

/** What every reservation event names. */
export interface ReservationRef {
  reservationId: string;
  couponId: string;
  userId: string;
}

/**
 * A buyer asked, before the sale window opened, to buy one unit of a `SECKILL` coupon the moment it opens.
 * `accountRegisteredAt` is when the buyer's account was registered, as the signed token said at the time (null when
 * it did not): the firer buys with it, so the coupon's account-age rule holds for reserved buyers as for live ones.
 */
export type ReservationPlaced = DomainEvent<
  'ReservationPlaced',
  ReservationRef & { reservedAt: string; accountRegisteredAt: string | null }
>;
/**
 * The firer took the reservation and will buy for it as order `orderId` (fixed here, so a retry buys the same order).
 * `attempt` is 1 the first time; a reservation is fired again (attempt + 1, a new order id) only once the order of
 * the previous attempt was fenced as abandoned (`SeckillAbandoned`), i.e. can never be placed.
 */
export type ReservationFiring = DomainEvent<
  'ReservationFiring',
  ReservationRef & { orderId: string; attempt: number; firingAt: string }
>;
export type ReservationSucceeded = DomainEvent<
  'ReservationSucceeded',
  ReservationRef & { orderId: string; succeededAt: string }
>;
/**
 * The purchase was refused: `code` is the seckill's refusal (SOLD_OUT, LIMIT_REACHED, SALE_ENDED, COUPON_CLOSED,
 * ACCOUNT_TOO_NEW…), `message` says it in words.
 */
export type ReservationFailed = DomainEvent<
  'ReservationFailed',
  ReservationRef & { code: string; message: string; failedAt: string }
>;
export type ReservationCancelled = DomainEvent<
  'ReservationCancelled',
  ReservationRef & { cancelledAt: string }
>;
/**
 * It could not be fired: the sale window ended before the firer reached it (`reason` SALE_ENDED), or the coupon was
 * closed or deactivated when its window opened (COUPON_CLOSED, COUPON_INACTIVE).
 */
export type ReservationExpired = DomainEvent<
  'ReservationExpired',
  ReservationRef & { expiredAt: string; reason: string }
>;

export type ReservationEvent =
  | ReservationPlaced
  | ReservationFiring
  | ReservationSucceeded
  | ReservationFailed
  | ReservationCancelled
  | ReservationExpired;

/** The schema version each reservation event is written with today. */
export const RESERVATION_EVENT_VERSIONS: { readonly [T in ReservationEvent['type']]: number } = {
  ReservationPlaced: 1,
  ReservationFiring: 1,
  ReservationSucceeded: 1,
  ReservationFailed: 1,
  ReservationCancelled: 1,
  ReservationExpired: 1,
};

export const RESERVATION_UPCASTERS: readonly Upcaster[] = [];

export const RESERVATION_STREAM_PREFIX = 'reservation-';
export const reservationStreamId = (reservationId: string): string =>
  `${RESERVATION_STREAM_PREFIX}${reservationId}`;
