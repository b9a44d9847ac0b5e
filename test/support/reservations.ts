import { systemContext, withMetadata } from '../../commands/command-context';
import type { EventStore } from '../../commands/event-store-port';
import type { IdGenerator } from '../../commands/id-generator-port';
import { reservationDecider } from '../../domain/reservation/reservation-decider';
import { reservationStreamId } from '../../domain/reservation/reservation-events';

/**
 * Places the buyer's first reservation of an active SECKILL coupon opening at `saleStartsAt` straight in the event
 * store, decided as the write API decides it: a test placing thousands at once skips HTTP, and concurrent calls share
 * group commits. Answers the reservation id.
 */
export const placeReservation = async (
  store: EventStore,
  ids: IdGenerator,
  couponId: string,
  userId: string,
  saleStartsAt: Date,
): Promise<string> => {
  const reservationId = ids.reservationId(couponId, userId, 0);
  const now = new Date();
  const events = reservationDecider.decide(
    {
      type: 'PlaceReservation',
      data: {
        reservationId,
        couponId,
        userId,
        coupon: { couponType: 'SECKILL', status: 'active', saleStartsAt: saleStartsAt.toISOString() },
        accountRegisteredAt: null,
        now,
      },
    },
    reservationDecider.initialState,
  );
  await store.append(
    reservationStreamId(reservationId),
    withMetadata(events, systemContext('test'), now, () => ids.newId()),
    'no_stream',
  );
  return reservationId;
};
