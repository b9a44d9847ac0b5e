import type { CouponType } from '../coupon/coupon-events';
import { DomainError } from '../shared/domain-error';
import { assertNever, type Decider } from '../shared/event';
import type { ReservationEvent, ReservationRef } from './reservation-events';

export type ReservationStatus = 'PENDING' | 'FIRING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'EXPIRED';

export const TERMINAL_RESERVATION_STATUSES: ReadonlySet<ReservationStatus> = new Set([
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'EXPIRED',
]);

export type ReservationState =
  | { readonly status: 'absent' }
  | (ReservationRef & {
      readonly status: ReservationStatus;
      readonly reservedAt: string;
      readonly accountRegisteredAt: string | null;
      /** The order of the current (or last) firing attempt; null until fired. */
      readonly orderId: string | null;
      /** Firing attempts so far (0 while pending). */
      readonly attempt: number;
      /** The refusal of a FAILED reservation, the reason of an EXPIRED one. */
      readonly code: string | null;
    });

export type ExistingReservation = Exclude<ReservationState, { status: 'absent' }>;

/** What the reservation rules need to know of the coupon, as its stream says now (null: no such coupon). */
export interface CouponFacts {
  readonly couponType: CouponType;
  /** Only an `active` coupon may be reserved; `inactive`: deactivated by an admin. */
  readonly status: 'active' | 'inactive' | 'closed';
  readonly saleStartsAt: string;
}

export type PlaceReservation = {
  readonly type: 'PlaceReservation';
  readonly data: ReservationRef & {
    readonly coupon: CouponFacts | null;
    readonly accountRegisteredAt: string | null;
    readonly now: Date;
  };
};
export type CancelReservation = {
  readonly type: 'CancelReservation';
  readonly data: { readonly reservationId: string; readonly byUserId: string; readonly now: Date };
};
/**
 * Fire with order `orderId`. From PENDING: the first attempt. From FIRING: again, only when `abandonedOrderId` is the
 * current attempt's order and its stream holds `SeckillAbandoned` (the caller read it): that order can never exist.
 */
export type FireReservation = {
  readonly type: 'FireReservation';
  readonly data: {
    readonly reservationId: string;
    readonly orderId: string;
    readonly abandonedOrderId: string | null;
    readonly now: Date;
  };
};
export type SucceedReservation = {
  readonly type: 'SucceedReservation';
  readonly data: { readonly reservationId: string; readonly orderId: string; readonly now: Date };
};
export type FailReservation = {
  readonly type: 'FailReservation';
  readonly data: {
    readonly reservationId: string;
    readonly code: string;
    readonly message: string;
    readonly now: Date;
  };
};
export type ExpireReservation = {
  readonly type: 'ExpireReservation';
  readonly data: { readonly reservationId: string; readonly reason: string; readonly now: Date };
};
export type ReservationCommand =
  | PlaceReservation
  | CancelReservation
  | FireReservation
  | SucceedReservation
  | FailReservation
  | ExpireReservation;

export const isLiveReservation = (state: ReservationState): state is ExistingReservation =>
  state.status === 'PENDING' || state.status === 'FIRING';

const existing = (state: ReservationState, reservationId: string): ExistingReservation => {
  if (state.status === 'absent')
    throw new DomainError('RESERVATION_NOT_FOUND', `reservation ${reservationId} does not exist`);
  return state;
};

const refOf = ({ reservationId, couponId, userId }: ReservationRef): ReservationRef => ({
  reservationId,
  couponId,
  userId,
});

const notInState = (state: ExistingReservation, wanted: string): DomainError =>
  new DomainError(
    'RESERVATION_NOT_PENDING',
    `reservation ${state.reservationId} is ${state.status}, not ${wanted}`,
    { reservationId: state.reservationId, status: state.status },
  );

const place = ({ data }: PlaceReservation, state: ReservationState): ReservationEvent[] => {
  if (state.status === 'PENDING' || state.status === 'FIRING')
    throw new DomainError(
      'RESERVATION_EXISTS',
      `you already hold reservation ${state.reservationId} for coupon ${state.couponId}`,
      { reservationId: state.reservationId },
    );
  if (state.status !== 'absent')
    throw new DomainError('RESERVATION_EXISTS', `reservation ${data.reservationId} exists already`, {
      reservationId: data.reservationId,
    });
  const { coupon } = data;
  if (!coupon) throw new DomainError('COUPON_NOT_FOUND', `coupon ${data.couponId} does not exist`);
  if (coupon.couponType !== 'SECKILL')
    throw new DomainError(
      'NOT_A_SECKILL_COUPON',
      `coupon ${data.couponId} is not a flash-sale coupon: claim it at any time instead`,
    );
  if (coupon.status === 'closed') throw new DomainError('COUPON_CLOSED', `coupon ${data.couponId} is closed`);
  if (coupon.status === 'inactive')
    throw new DomainError('COUPON_INACTIVE', `coupon ${data.couponId} cannot be reserved now`);
  if (data.now.getTime() >= Date.parse(coupon.saleStartsAt))
    throw new DomainError(
      'SALE_ALREADY_STARTED',
      `the sale of coupon ${data.couponId} has started: reservations are taken only before it opens`,
      { saleStartsAt: coupon.saleStartsAt },
    );
  return [
    {
      type: 'ReservationPlaced',
      schemaVersion: 1,
      data: {
        ...refOf(data),
        reservedAt: data.now.toISOString(),
        accountRegisteredAt: data.accountRegisteredAt,
      },
    },
  ];
};

const cancel = ({ data }: CancelReservation, state: ReservationState): ReservationEvent[] => {
  const reservation = existing(state, data.reservationId);
  if (reservation.userId !== data.byUserId)
    throw new DomainError(
      'NOT_RESERVATION_OWNER',
      `reservation ${data.reservationId} belongs to another user`,
      {
        reservationId: data.reservationId,
      },
    );
  if (reservation.status === 'CANCELLED')
    throw new DomainError(
      'RESERVATION_ALREADY_CANCELLED',
      `reservation ${data.reservationId} is already cancelled`,
    );
  if (reservation.status !== 'PENDING')
    throw new DomainError(
      'RESERVATION_NOT_PENDING',
      `reservation ${data.reservationId} is ${reservation.status}: only a pending reservation can be cancelled`,
      { reservationId: data.reservationId, status: reservation.status },
    );
  return [
    {
      type: 'ReservationCancelled',
      schemaVersion: 1,
      data: { ...refOf(reservation), cancelledAt: data.now.toISOString() },
    },
  ];
};

const fire = ({ data }: FireReservation, state: ReservationState): ReservationEvent[] => {
  const reservation = existing(state, data.reservationId);
  const refire =
    reservation.status === 'FIRING' &&
    data.abandonedOrderId !== null &&
    data.abandonedOrderId === reservation.orderId &&
    data.orderId !== reservation.orderId;
  if (reservation.status !== 'PENDING' && !refire) throw notInState(reservation, 'PENDING');
  return [
    {
      type: 'ReservationFiring',
      schemaVersion: 1,
      data: {
        ...refOf(reservation),
        orderId: data.orderId,
        attempt: reservation.attempt + 1,
        firingAt: data.now.toISOString(),
      },
    },
  ];
};

const requireFiring = (state: ReservationState, reservationId: string): ExistingReservation => {
  const reservation = existing(state, reservationId);
  if (reservation.status !== 'FIRING') throw notInState(reservation, 'FIRING');
  return reservation;
};

const decide = (command: ReservationCommand, state: ReservationState): ReservationEvent[] => {
  switch (command.type) {
    case 'PlaceReservation':
      return place(command, state);
    case 'CancelReservation':
      return cancel(command, state);
    case 'FireReservation':
      return fire(command, state);
    case 'SucceedReservation': {
      const reservation = requireFiring(state, command.data.reservationId);
      return [
        {
          type: 'ReservationSucceeded',
          schemaVersion: 1,
          data: {
            ...refOf(reservation),
            orderId: command.data.orderId,
            succeededAt: command.data.now.toISOString(),
          },
        },
      ];
    }
    case 'FailReservation': {
      const reservation = requireFiring(state, command.data.reservationId);
      const { code, message, now } = command.data;
      return [
        {
          type: 'ReservationFailed',
          schemaVersion: 1,
          data: { ...refOf(reservation), code, message, failedAt: now.toISOString() },
        },
      ];
    }
    case 'ExpireReservation': {
      const reservation = existing(state, command.data.reservationId);
      if (reservation.status !== 'PENDING') throw notInState(reservation, 'PENDING');
      return [
        {
          type: 'ReservationExpired',
          schemaVersion: 1,
          data: {
            ...refOf(reservation),
            reason: command.data.reason,
            expiredAt: command.data.now.toISOString(),
          },
        },
      ];
    }
    default:
      return assertNever(command);
  }
};

const evolve = (state: ReservationState, event: ReservationEvent): ReservationState => {
  if (event.type === 'ReservationPlaced')
    return {
      ...refOf(event.data),
      status: 'PENDING',
      reservedAt: event.data.reservedAt,
      accountRegisteredAt: event.data.accountRegisteredAt,
      orderId: null,
      attempt: 0,
      code: null,
    };
  if (state.status === 'absent') return state;
  switch (event.type) {
    case 'ReservationFiring':
      return { ...state, status: 'FIRING', orderId: event.data.orderId, attempt: event.data.attempt };
    case 'ReservationSucceeded':
      return { ...state, status: 'SUCCEEDED', orderId: event.data.orderId };
    case 'ReservationFailed':
      return { ...state, status: 'FAILED', code: event.data.code };
    case 'ReservationCancelled':
      return { ...state, status: 'CANCELLED' };
    case 'ReservationExpired':
      return { ...state, status: 'EXPIRED', code: event.data.reason };
    default:
      return assertNever(event);
  }
};

export const reservationDecider: Decider<ReservationCommand, ReservationEvent, ReservationState> = {
  decide,
  evolve,
  initialState: { status: 'absent' },
};
