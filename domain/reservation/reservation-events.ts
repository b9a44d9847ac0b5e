import type { DomainEvent } from '../shared/event';
import type { Upcaster } from '../shared/upcaster';

/** What every reservation event names. */
export interface ReservationRef {
  reservationId: string;
  couponId: string;
  userId: string;
}

/** A buyer asked, before the sale window opened, to buy one unit of a `SECKILL` coupon the moment it opens. */
export type ReservationPlaced = DomainEvent<'ReservationPlaced', ReservationRef & { reservedAt: string }>;
/** The firer took the reservation and will buy for it as order `orderId` (fixed here, so a retry buys the same order). */
export type ReservationFiring = DomainEvent<
  'ReservationFiring',
  ReservationRef & { orderId: string; firingAt: string }
>;
export type ReservationSucceeded = DomainEvent<
  'ReservationSucceeded',
  ReservationRef & { orderId: string; succeededAt: string }
>;
/** The purchase was refused: `code` is the seckill's refusal (SOLD_OUT, LIMIT_EXCEEDED, COUPON_CLOSED…). */
export type ReservationFailed = DomainEvent<
  'ReservationFailed',
  ReservationRef & { code: string; message: string; failedAt: string }
>;
export type ReservationCancelled = DomainEvent<
  'ReservationCancelled',
  ReservationRef & { cancelledAt: string }
>;
/** It could not be fired: the sale window closed (or the coupon went away) before the firer reached it. */
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
