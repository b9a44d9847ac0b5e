import type { Router } from 'express';
import type { ReservationHandlers } from '../../commands/reservation-handlers';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { authenticate } from '../../infra/http/auth';
import { commandContext, principalOf } from '../../infra/http/request-context';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';
import { newReservation, reservationIdParam } from '../contract/reservation-contract';

export const reservationRoutes = (reservations: ReservationHandlers, tokens: JwtTokens): Router => {
  const router = exactRouter();
  const buyer = authenticate(tokens);

  router.post('/', recordRoute, buyer, async (req, res) => {
    const { couponId } = parseWith(newReservation, req.body, 'body');
    const { userId, registeredAtMs } = principalOf(res);
    const reservation = await reservations.place(
      { couponId, userId, registeredAtMs: registeredAtMs ?? null },
      commandContext(res),
    );
    res.status(201).location(`/api/v1/reservations/${reservation.reservationId}`).json(reservation);
  });

  router.delete('/:reservationId', recordRoute, buyer, async (req, res) => {
    const { reservationId } = parseWith(reservationIdParam, req.params, 'path');
    res.status(200).json(await reservations.cancel(reservationId, commandContext(res)));
  });

  return router;
};
