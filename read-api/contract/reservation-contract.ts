import { z } from 'zod';
import { SUBJECT_PATTERN } from '../../infra/auth/jwt-tokens';
import {
  positionString,
  uuidString,
  RATE_LIMIT_ANSWER_HEADERS,
  type ApiOperation,
  type Same,
} from '../../infra/http/openapi';
import type { ReservationView } from '../../projections/reservations/reservations-queries';
import { minPositionHeader, position, READ_MODEL, readQuery } from './request-parts';

export const RESERVATION_STATUSES = [
  'PENDING',
  'FIRING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'EXPIRED',
] as const;

export const reservationIdParam = z.strictObject({
  reservationId: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lowercase UUID'),
});

export const reservationsQuery = z.strictObject({
  cursor: z
    .string()
    .regex(/^\d{1,20}$/, 'must be a cursor returned by a previous page')
    .transform((v) => BigInt(v))
    .optional()
    .meta({ description: "the previous page's `nextCursor`" }),
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'items per page' }),
  status: z.enum(RESERVATION_STATUSES).optional().meta({ description: 'only reservations in this state' }),
  minPosition: position.optional().meta({
    description:
      'A `position` a write returned: the read waits (up to 2 s by default) until the read model has applied it, else answers `503 READ_MODEL_BEHIND`.',
  }),
});

export const reservationView = z
  .strictObject({
    reservationId: uuidString,
    userId: z.string().regex(SUBJECT_PATTERN),
    couponId: uuidString,
    status: z.enum(RESERVATION_STATUSES),
    orderId: uuidString.nullable().meta({ description: 'the order bought for it, once SUCCEEDED' }),
    code: z
      .string()
      .nullable()
      .meta({ description: 'why it FAILED (the seckill refusal: SOLD_OUT, LIMIT_REACHED…) or EXPIRED' }),
    reservedAt: z.iso.datetime().nullable(),
    updatedAt: z.iso.datetime(),
    position: positionString.meta({
      description: "the event-store position of the reservation's latest event applied",
    }),
  })
  .meta({ id: 'ReservationView', description: 'a reservation as the reservations read model shows it' });

const _reservationView: Same<z.output<typeof reservationView>, ReservationView> = true;

export const reservationPage = z
  .strictObject({
    items: z.array(reservationView),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'pass it as `cursor` for the next page; null on the last' }),
  })
  .meta({ id: 'ReservationPage', description: "the caller's reservations, newest first" });

export const getReservationOperation: ApiOperation = {
  method: 'get',
  route: '/api/v1/reservations/:reservationId',
  operationId: 'getReservation',
  summary: 'Read a reservation',
  description:
    "Its buyer or an administrator. Another buyer's reservation answers 404, so reservation ids cannot be probed.",
  tag: 'reservations',
  access: 'user',
  params: reservationIdParam,
  query: readQuery,
  headers: minPositionHeader,
  answers: {
    200: { description: 'the reservation', schema: reservationView, headers: RATE_LIMIT_ANSWER_HEADERS },
  },
  errors: ['RESERVATION_NOT_FOUND', ...READ_MODEL],
};

export const listMyReservationsOperation: ApiOperation = {
  method: 'get',
  route: '/api/v1/reservations',
  operationId: 'listMyReservations',
  summary: "List the caller's reservations",
  description: "The token subject's reservations, newest first, a page at a time.",
  tag: 'reservations',
  access: 'user',
  query: reservationsQuery,
  headers: minPositionHeader,
  answers: {
    200: {
      description: 'a page of reservations',
      schema: reservationPage,
      headers: RATE_LIMIT_ANSWER_HEADERS,
    },
  },
  errors: [...READ_MODEL],
};
