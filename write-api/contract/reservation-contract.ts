import { z } from 'zod';
import type { ReservationCommandResult } from '../../commands/reservation-handlers';
import { SUBJECT_PATTERN } from '../../infra/auth/jwt-tokens';
import { positionString, uuidString, type ApiOperation, type Same } from '../../infra/http/openapi';

const lowercaseUuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lowercase UUID');

export const newReservation = z
  .strictObject({
    couponId: lowercaseUuid.meta({ description: 'the SECKILL coupon to buy when its window opens' }),
  })
  .meta({ id: 'NewReservation' });

export const reservationIdParam = z.strictObject({ reservationId: lowercaseUuid });

/** Cancelling takes no body. */
export const noFields = z.strictObject({});

export const reservationCommandResult = z
  .strictObject({
    reservationId: uuidString,
    couponId: uuidString,
    userId: z.string().regex(SUBJECT_PATTERN),
    status: z.enum(['PENDING', 'FIRING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED']),
    reservedAt: z.iso.datetime(),
    position: positionString.meta({
      description:
        "the global event-store position of the reservation's latest event: pass it as `minPosition` to read your write",
    }),
  })
  .meta({ id: 'ReservationCommandResult', description: 'the reservation as the command left it' });

const _result: Same<z.output<typeof reservationCommandResult>, ReservationCommandResult> = true;

export const placeReservationOperation: ApiOperation = {
  method: 'post',
  route: '/api/v1/reservations',
  operationId: 'placeReservation',
  summary: 'Reserve a flash-sale coupon before its window opens',
  description:
    'One live (pending or firing) reservation per buyer and coupon. When the window opens the firer buys for it through the same stock gate as live buyers, with the same limits; reserved buyers are served first, in the order they reserved (README, *Reservations*). Refused once the window has opened.',
  tag: 'reservations',
  access: 'user',
  body: { schema: newReservation, required: true, description: 'the coupon' },
  answers: {
    201: { description: 'reserved (PENDING)', schema: reservationCommandResult },
  },
  errors: [
    'COUPON_NOT_FOUND',
    'NOT_A_SECKILL_COUPON',
    'COUPON_CLOSED',
    'COUPON_INACTIVE',
    'SALE_ALREADY_STARTED',
    'RESERVATION_EXISTS',
    'CONCURRENCY_CONFLICT',
    'DEPENDENCY_UNAVAILABLE',
    'OVERLOADED',
  ],
};

export const cancelReservationOperation: ApiOperation = {
  method: 'delete',
  route: '/api/v1/reservations/:reservationId',
  operationId: 'cancelReservation',
  summary: 'Cancel a pending reservation',
  description:
    "The reservation's buyer only (another buyer's reservation answers 404). Only while it is PENDING: once it fires it cannot be cancelled.",
  tag: 'reservations',
  access: 'user',
  params: reservationIdParam,
  answers: { 200: { description: 'cancelled', schema: reservationCommandResult } },
  errors: [
    'RESERVATION_NOT_FOUND',
    'RESERVATION_ALREADY_CANCELLED',
    'RESERVATION_NOT_PENDING',
    'CONCURRENCY_CONFLICT',
    'DEPENDENCY_UNAVAILABLE',
    'OVERLOADED',
  ],
};
