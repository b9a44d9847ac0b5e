import type { RequestHandler, Router } from 'express';
import { ApiError } from '../../infra/http/api-error';
import { principalOf } from '../../infra/http/request-context';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';
import type { ReservationsQueries } from '../../projections/reservations/reservations-queries';
import { reservationIdParam, reservationsQuery } from '../contract/reservation-contract';
import { readQuery } from '../contract/request-parts';
import { minPositionOf } from '../read-queries';

/** The reservations read model: the caller's reservations, and one. */
export const reservationRoutes = (reservations: ReservationsQueries, user: RequestHandler): Router => {
  const router = exactRouter();

  router.get('/reservations', recordRoute, user, async (req, res) => {
    const q = parseWith(reservationsQuery, req.query, 'query');
    res.json(
      await reservations.userReservations(
        principalOf(res).userId,
        { status: q.status ?? null, cursor: q.cursor ?? null, limit: q.limit },
        minPositionOf(q.minPosition, req),
      ),
    );
  });

  router.get('/reservations/:reservationId', recordRoute, user, async (req, res) => {
    const { reservationId } = parseWith(reservationIdParam, req.params, 'path');
    const q = parseWith(readQuery, req.query, 'query');
    const reservation = await reservations.reservation(reservationId, minPositionOf(q.minPosition, req));
    const principal = principalOf(res);
    // Another buyer's reservation reads as missing, so reservation ids cannot be probed.
    if (!reservation || (reservation.userId !== principal.userId && principal.role !== 'admin'))
      throw new ApiError(404, 'RESERVATION_NOT_FOUND', `reservation ${reservationId} does not exist`);
    res.json(reservation);
  });

  return router;
};
